/**
 * @file replay.c
 * Replay driver for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput on every file named on the command line, or on
 * every file of every directory named (sorted by name, dot files and
 * README skipped).  A broken invariant aborts, as under the fuzzer.
 * Each file is named on stderr before it runs, so a crash names its input.
 * Exit status: 0 when every input ran, 2 when one could not be read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

/** Run the target on one file; -1 if it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t r;
		if (cap - len < 4096) {
			uint8_t *nb = realloc(buf, cap + 65536);
			if (nb == NULL)
				abort();
			buf = nb;
			cap += 65536;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	/* Like libFuzzer: an exact-size copy, so overreads are caught. */
	{
		uint8_t *exact = malloc(len > 0 ? len : 1);
		if (exact == NULL)
			abort();
		if (len > 0)
			memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/** Run the target on every file of a directory, in name order; returns the number run or -1. */
static long run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	long done = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
			if (nn == NULL)
				abort();
			names = nn;
		}
		if ((names[n] = malloc(strlen(dir) + strlen(de->d_name) + 2)) == NULL)
			abort();
		snprintf(names[n], strlen(dir) + strlen(de->d_name) + 2, "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(names[i]) < 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	int i, bad = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;
		long k;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			k = run_dir(argv[i]);
		else
			k = run_file(argv[i]) < 0 ? -1 : 1;
		if (k < 0)
			bad = 1;
		else
			total += k;
	}
	printf("replayed %ld inputs\n", total);
	return bad ? 2 : 0;
}
