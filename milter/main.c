/**
 * @file main.c
 * The vigie daemon: options, configuration, the milter socket, privileges,
 * daemon mode, pidfile; then libmilter's main loop.  Also dispatches the
 * "explain" sub-command.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "conf.h"
#include "dns.h"
#include "log.h"
#include "milter.h"
#include "stats.h"
#include "util.h"

#define EXIT_CONFIG 78   /* EX_CONFIG */
#define EXIT_USAGE  64   /* EX_USAGE */
#define MAX_OVERRIDES 64

/** Print the usage text. */
static void usage(FILE *f)
{
	fprintf(f,
	    "usage: vigie [-fnV] [-c file] [-o key=value ...]\n"
	    "       vigie explain [-c file] [-o key=value ...] --client IP [--name HOST] [--helo NAME]\n"
	    "                     [--from ADDR] [--auth LOGIN] [--macro NAME=VALUE ...]\n"
	    "                     --rcpt ADDR [--rcpt ADDR ...] [--format=text|kv] [--repeat N]\n"
	    "       vigie --list-keys\n"
	    "  -c file   configuration file (default " VIGIE_CONF ")\n"
	    "  -f        stay in the foreground and copy log lines to stderr\n"
	    "  -n        check the configuration, print any problem, and exit\n"
	    "  -o k=v    override a configuration key (repeatable)\n"
	    "  -V        print the version and exit\n"
	    "  -h        print this help and exit\n");
}

/** Print one key name (for --list-keys). */
static void print_key(const char *name, void *arg)
{
	(void)arg;
	printf("%s\n", name);
}

/** The path part of a unix:/local: socket spec, or NULL for inet sockets. */
static const char *unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

/**
 * Remove a stale unix socket: only a socket, and only when nobody listens
 * on it.  A regular file or a live socket is an error, never removed.
 */
static int clear_stale_socket(const char *path)
{
	struct stat st;
	struct sockaddr_un sun;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "vigie: %s exists and is not a socket; not removing it\n", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	vg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		fprintf(stderr, "vigie: another process listens on %s\n", path);
		return -1;
	}
	return unlink(path);
}

/** Set the unix socket's group and mode as configured. */
static int socket_perms(const struct vg_config *cfg, const char *path)
{
	if (cfg->socket_group && *cfg->socket_group) {
		struct group *gr = getgrnam(cfg->socket_group);
		if (gr == NULL) {
			fprintf(stderr, "vigie: socket_group %s: no such group\n", cfg->socket_group);
			return -1;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0) {
			fprintf(stderr, "vigie: chown %s: %s\n", path, strerror(errno));
			return -1;
		}
	}
	if (chmod(path, (mode_t)cfg->socket_mode) < 0) {
		fprintf(stderr, "vigie: chmod %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/** Give up root for the configured user; refuse to stay root unless told. */
/**
 * chroot: what is read later must already be loaded (time zone, user and
 * group names) or be inside the new root (a reload reads the files there).
 * DNS needs nothing: vigie talks to its servers over its own sockets; the
 * syslog socket was opened at start.
 */
static int enter_chroot(const struct vg_config *cfg)
{
	if (cfg->chroot_dir == NULL || *cfg->chroot_dir == '\0')
		return 0;
	tzset();
	if (chdir(cfg->chroot_dir) < 0 || chroot(cfg->chroot_dir) < 0 || chdir("/") < 0) {
		fprintf(stderr, "vigie: chroot %s: %s\n", cfg->chroot_dir, strerror(errno));
		return -1;
	}
	vg_log(LOG_INFO, "chroot %s: files are read from inside it from now on", cfg->chroot_dir);
	return 0;
}

static int drop_privileges(const struct vg_config *cfg)
{
	struct passwd *pw;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (cfg->run_as_root) {
		vg_log(LOG_WARNING, "running as root (run_as_root yes)");
		return enter_chroot(cfg);
	}
	if (cfg->user == NULL || *cfg->user == '\0' || (pw = getpwnam(cfg->user)) == NULL) {
		fprintf(stderr, "vigie: user %s: no such user (set 'user', or 'run_as_root yes')\n",
		    cfg->user ? cfg->user : "(none)");
		return -1;
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr, "vigie: user %s is root; set 'run_as_root yes' if you mean it\n", cfg->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (cfg->group && *cfg->group) {
		struct group *gr = getgrnam(cfg->group);
		if (gr == NULL) {
			fprintf(stderr, "vigie: group %s: no such group\n", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (initgroups(pw->pw_name, gid) < 0) {
		fprintf(stderr, "vigie: cannot become %s: %s\n", cfg->user, strerror(errno));
		return -1;
	}
	if (enter_chroot(cfg) < 0)
		return -1;
	if (setgid(gid) < 0 || setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "vigie: cannot become %s: %s\n", cfg->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "vigie: could regain root after dropping privileges; stopping\n");
		return -1;
	}
	return 0;
}

/** Write the pidfile (truncating an old one). */
static int write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		fprintf(stderr, "vigie: pidfile %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/** Where libmilter runs, and how it ended. */
struct milter_run {
	pthread_t main_thread;   /**< told with SIGUSR2 when smfi_main returns */
	int rc;                  /**< smfi_main's result */
};

/** Thread body: libmilter's main loop; wakes the main thread when it ends. */
static void *milter_thread(void *arg)
{
	struct milter_run *run = arg;

	run->rc = smfi_main();
	pthread_kill(run->main_thread, SIGUSR2);
	return NULL;
}

/** Seconds since an arbitrary start, monotonic. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/**
 * Run libmilter and own the signals.  libmilter's own SIGTERM handling
 * stops its worker pool at once, stranding sessions in the middle of a
 * transaction; so the main thread takes SIGTERM/SIGINT itself, tempfails
 * new connections, lets the open ones finish (at most shutdown_timeout
 * seconds; a second signal cuts it short), and only then stops libmilter.
 * SIGHUP reloads the configuration (libmilter would take it as a stop).
 * The main thread keeps these three unblocked, with a handler, so that
 * Linux always hands them to it rather than to libmilter's signal thread
 * (see run_milter).
 */
/** Where the configuration comes from, for reloads. */
struct conf_source {
	const char *path;
	const char *const *overrides;
	const struct vg_config *startup;   /**< the config the daemon started with */
	struct vg_file_stamp *seen;        /**< the files of the running config, as last seen */
	size_t nseen;
	int check_s;                       /**< reload_check of the running config */
};

/**
 * A path as seen from inside the chroot of the startup configuration: the
 * part after the chroot directory when it is under it, else the path as it is.
 */
static const char *inside(const struct conf_source *src, const char *path)
{
	const char *root = src->startup->chroot_dir;
	size_t n;

	if (root == NULL || *root == '\0')
		return path;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (strncmp(path, root, n) == 0 && path[n] == '/')
		return path + n;
	return path;
}

/** Watch the files of cfg from now on (their stamps from when cfg read them). */
static void watch_config(struct conf_source *src, const struct vg_config *cfg)
{
	struct vg_file_stamp *v = calloc(cfg->nfiles ? cfg->nfiles : 1, sizeof(*v));
	size_t i, n = 0;

	if (v == NULL)
		return;              /* keep watching the old set */
	for (i = 0; i < cfg->nfiles; i++) {
		v[n] = cfg->files[i];
		if ((v[n].path = strdup(inside(src, cfg->files[i].path))) != NULL)
			n++;
	}
	for (i = 0; i < src->nseen; i++)
		free(src->seen[i].path);
	free(src->seen);
	src->seen = v;
	src->nseen = n;
	src->check_s = cfg->reload_check;
}

/** The first watched file that changed since last seen, or NULL; every stamp is brought up to date. */
static const char *changed_file(struct conf_source *src)
{
	const char *first = NULL;
	size_t i;

	for (i = 0; i < src->nseen; i++)
		if (vg_file_stamp_changed(&src->seen[i])) {
			if (first == NULL)
				first = src->seen[i].path;
			vg_file_stamp_take(&src->seen[i]);
		}
	return first;
}

/**
 * SIGHUP: build a new configuration from the same file and -o overrides.
 * On success it becomes the one new connections take (connections in
 * flight keep theirs); on error every problem is logged and the running
 * configuration stays.  What only takes effect at start (socket, user,
 * log destination, DNS cache size) is kept from the start, with a warning.
 */
static void reload(struct conf_source *src)
{
	struct vg_cfgerr errs;
	struct vg_config *cfg;
	const struct vg_config *old = src->startup;

	vg_cfgerr_init(&errs);
	cfg = vg_config_load(inside(src, src->path), src->overrides, &errs);
	if (cfg == NULL) {
		char *line, *save = NULL;
		for (line = strtok_r(errs.text.buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
			vg_log(LOG_ERR, "reload: %s", line);
		vg_log(LOG_ERR, "reload: %d error%s in %s; the running configuration stays", errs.count,
		    errs.count == 1 ? "" : "s", src->path);
		vg_cfgerr_free(&errs);
		return;
	}
	vg_cfgerr_free(&errs);
	if (strcmp(cfg->socket, old->socket) != 0 || strcmp(cfg->log, old->log) != 0 ||
	    (cfg->user == NULL) != (old->user == NULL) || (cfg->user && strcmp(cfg->user, old->user) != 0) ||
	    cfg->dns_cache_size != old->dns_cache_size || cfg->log_level != old->log_level)
		vg_log(LOG_WARNING, "reload: socket, user, log, log_level and dns_cache_size take effect only at the next start");
	vg_milter_set_config(cfg);
	watch_config(src, cfg);
	vg_log(LOG_INFO, "reload: %s loaded (mode=%s, %zu+%zu+%zu+%zu rules)", src->path,
	    cfg->dry_run ? "dry-run" : "enforce", cfg->nrules[VG_STAGE_CONNECT], cfg->nrules[VG_STAGE_HELO],
	    cfg->nrules[VG_STAGE_MAIL], cfg->nrules[VG_STAGE_RCPT]);
	vg_config_unref(cfg);
}

/*
 * Set by the handler of SIGHUP, SIGTERM and SIGINT, which runs in the main
 * thread only: the other threads, libmilter's included, block them.
 */
static volatile sig_atomic_t hup_pending, stop_signal, stop_count;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		hup_pending = 1;
	} else {
		stop_signal = sig;
		stop_count = stop_count + 1;
	}
}

/**
 * Run the milter until a signal stops it.  *left is set to the number of
 * connections still open when vigie stopped them itself (-1 when
 * smfi_main returned on its own and was joined).
 */
static int run_milter(const struct vg_config *cfg, struct conf_source *src, int *left)
{
	struct milter_run run;
	struct sigaction sa;
	pthread_t tid;
	sigset_t all, wait_set, handled;
	int sig = 0, rc, seen;
	double deadline, next_check;

	sigemptyset(&all);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGUSR1);
	sigaddset(&all, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	*left = -1;
	run.main_thread = pthread_self();
	run.rc = MI_FAILURE;
	if ((rc = pthread_create(&tid, NULL, milter_thread, &run)) != 0) {
		vg_log(LOG_ERR, "cannot start the milter thread: %s", strerror(rc));
		return MI_FAILURE;
	}
	/*
	 * libmilter's signal thread waits for SIGHUP, SIGTERM and SIGINT, and
	 * stops the milter at once when it gets one: sessions in the middle of
	 * a transaction are left unanswered, and a reload becomes a stop.  The
	 * kernel gives a signal sent to the process to its main thread when
	 * that thread accepts it, and a thread accepts it in sigwait only
	 * while it waits: a signal arriving during a reload or a drain step
	 * would go to libmilter.  So these three stay unblocked here, always,
	 * with a handler that notes them; the waits below wake for them
	 * (EINTR) and look at the notes, at least once a second.  SIGUSR1
	 * and SIGUSR2 nobody else waits for: they are taken with sigtimedwait.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&handled);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGUSR1);
	sigaddset(&wait_set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &handled, NULL);
	watch_config(src, cfg);
	next_check = now_s() + src->check_s;
	for (;;) {
		const char *changed;
		/* at most 1 s, so a signal noted just before the wait is not left waiting */
		double wait = src->check_s > 0 ? next_check - now_s() : 1.0;
		struct timespec ts;

		if (stop_count > 0) {
			sig = stop_signal;
			break;
		}
		if (hup_pending) {
			hup_pending = 0;
			changed_file(src);       /* what SIGHUP reads now is seen */
			reload(src);
			next_check = now_s() + src->check_s;
			continue;
		}
		if (wait < 0)
			wait = 0;
		if (wait > 1.0)
			wait = 1.0;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		sig = sigtimedwait(&wait_set, NULL, &ts);
		if (sig == SIGUSR1) {
			vg_stats_log();
			continue;
		}
		if (sig == SIGUSR2)
			break;               /* smfi_main returned on its own */
		if (src->check_s <= 0 || now_s() < next_check)
			continue;            /* a handler ran, or the second passed */
		/* reload_check: a file the configuration came from changed */
		next_check = now_s() + src->check_s;
		if ((changed = changed_file(src)) != NULL) {
			vg_log(LOG_INFO, "reload: %s changed", changed);
			reload(src);
			next_check = now_s() + src->check_s;
		}
	}
	if (sig != SIGUSR2) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		int ended = 0;

		seen = stop_count;
		vg_milter_drain();
		vg_log(LOG_INFO, "%s: stopping; %d connection(s) open, waiting up to %d s for them; new ones are tempfailed",
		    sig == SIGINT ? "SIGINT" : "SIGTERM", vg_milter_active(), cfg->shutdown_timeout);
		deadline = now_s() + cfg->shutdown_timeout;
		while (vg_milter_active() > 0 && now_s() < deadline && stop_count == seen && !ended)
			ended = sigtimedwait(&wait_set, NULL, &tick) == SIGUSR2;
		if (vg_milter_active() > 0)
			vg_log(LOG_WARNING, "stopping with %d connection(s) still open (%s); the MTA applies its milter default action",
			    vg_milter_active(), stop_count != seen ? "second signal" : "shutdown_timeout");
		/*
		 * Every session is answered (or past shutdown_timeout): the
		 * process ends now, without smfi_stop.  libmilter's teardown
		 * adds nothing here: its listener waits out a poll timeout
		 * (about 5 s), and its worker pool destroys a mutex and a
		 * condition its workers still wait on (ThreadSanitizer sees it).
		 */
		if (!ended) {
			*left = vg_milter_active();
			return MI_SUCCESS;
		}
	}
	pthread_join(tid, NULL);
	return run.rc;
}

/**
 * TCP_NODELAY on libmilter's listening TCP socket (connections accepted
 * from it inherit it on Linux).  vigie often writes two packets in a row
 * that get no answer (two headers added at end of message, then the
 * reply): with Nagle the second waits for the MTA's delayed ACK, 40 ms a
 * message on loopback.  libmilter does not hand out its socket, so it is
 * found: the one listening TCP socket open at this point.
 */
static void tcp_nodelay_listener(void)
{
	int fd, one = 1;

	for (fd = 0; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int listening = 0;
		socklen_t ll = sizeof(listening);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) < 0 || !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			vg_log(LOG_WARNING, "TCP_NODELAY on the milter socket: %s", strerror(errno));
	}
}

static int ready_fd = -1;   /**< daemon mode: tells the waiting parent we are up */

/**
 * Detach from the terminal: fork and start a new session.  The parent waits
 * until the child says it is ready (daemon_ready: pidfile written,
 * privileges dropped) and exits 0; if the child fails first, the parent
 * exits with the child's status, and the child's messages, still on the
 * terminal, say why.  So a service manager sees a failure as one.
 */
static int daemonize(void)
{
	int p[2], st;
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
			_exit(WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
		_exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (setsid() < 0 || chdir("/") < 0)
		return -1;
	return 0;
}

/** Daemon mode: stdio to /dev/null and tell the parent we are up. */
static void daemon_ready(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (write(ready_fd, "", 1) != 1)
		vg_log(LOG_WARNING, "cannot tell the starting process we are up");
	close(ready_fd);
	ready_fd = -1;
}

int main(int argc, char **argv)
{
	const char *conf = VIGIE_CONF, *overrides[MAX_OVERRIDES + 1], *err, *upath;
	struct vg_config *cfg;
	struct vg_cfgerr errs;
	int opt, foreground = 0, check_only = 0, noverrides = 0, rc, left = -1;
	mode_t old_umask;

	if (argc > 1 && strcmp(argv[1], "explain") == 0)
		return vg_explain_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "--list-keys") == 0) {
		vg_config_keys(print_key, NULL);
		return 0;
	}
	while ((opt = getopt(argc, argv, "c:fhno:V")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'o':
			if (noverrides == MAX_OVERRIDES) {
				fprintf(stderr, "vigie: too many -o options\n");
				return EXIT_USAGE;
			}
			overrides[noverrides++] = optarg;
			break;
		case 'V':
			printf("vigie %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	overrides[noverrides] = NULL;

	vg_cfgerr_init(&errs);
	cfg = vg_config_load(conf, overrides, &errs);
	if (cfg == NULL) {
		fputs(errs.text.buf, stderr);
		fprintf(stderr, "vigie: %d error%s in the configuration\n", errs.count, errs.count == 1 ? "" : "s");
		vg_cfgerr_free(&errs);
		return EXIT_CONFIG;
	}
	vg_cfgerr_free(&errs);
	if (check_only) {
		printf("vigie: %s: configuration OK\n", conf);
		vg_config_unref(cfg);
		return 0;
	}

	if (cfg->chroot_dir != NULL && *cfg->chroot_dir != '\0' && geteuid() != 0) {
		fprintf(stderr, "vigie: chroot %s: only root can chroot; start vigie as root or remove chroot\n",
		    cfg->chroot_dir);
		vg_config_unref(cfg);
		return EXIT_CONFIG;
	}
	if (vg_log_open(cfg->log, cfg->log_facility, cfg->log_level, foreground, &err) < 0) {
		fprintf(stderr, "vigie: log %s: %s\n", cfg->log, err);
		return EXIT_CONFIG;
	}
	signal(SIGPIPE, SIG_IGN);

	if (vg_milter_register() < 0) {
		fprintf(stderr, "vigie: smfi_register failed\n");
		return 1;
	}
	upath = unix_path(cfg->socket);
	if (upath != NULL && clear_stale_socket(upath) < 0) {
		fprintf(stderr, "vigie: cannot use socket %s\n", upath);
		return 1;
	}
	if (smfi_setconn(cfg->socket) != MI_SUCCESS) {
		fprintf(stderr, "vigie: smfi_setconn %s failed\n", cfg->socket);
		return 1;
	}
	old_umask = umask(0177);
	rc = smfi_opensocket(0);
	umask(old_umask);
	if (rc != MI_SUCCESS) {
		fprintf(stderr, "vigie: cannot open the milter socket %s\n", cfg->socket);
		return 1;
	}
	if (upath != NULL && socket_perms(cfg, upath) < 0)
		return 1;
	if (upath == NULL)
		tcp_nodelay_listener();
	if (!foreground && daemonize() < 0) {
		fprintf(stderr, "vigie: cannot become a daemon: %s\n", strerror(errno));
		return 1;
	}
	if (cfg->pidfile && *cfg->pidfile && write_pidfile(cfg->pidfile) < 0)
		return 1;
	if (drop_privileges(cfg) < 0)
		return 1;

	/* One DNS cache for every connection (bounded in entries and memory). */
	vg_dns_cache_init((size_t)cfg->dns_cache_size, 64u * 1024 * 1024, 86400);
	vg_milter_set_config(cfg);
	if (vg_stats_http_start(cfg->stats_listen) < 0)
		return EXIT_CONFIG;
	daemon_ready();
	vg_log(LOG_INFO, "vigie %s starting: socket=%s config=%s mode=%s", PACKAGE_VERSION,
	    cfg->socket, cfg->path, cfg->dry_run ? "dry-run" : "enforce");
	{
		struct conf_source src = { conf, overrides, cfg, NULL, 0, 0 };
		size_t i;

		rc = run_milter(cfg, &src, &left);
		for (i = 0; i < src.nseen; i++)
			free(src.seen[i].path);
		free(src.seen);
	}
	vg_log(LOG_INFO, "vigie stopped (%s)", rc == MI_SUCCESS ? "normal" : "libmilter error");
	if (left >= 0) {
		/* stopped by a signal: libmilter's threads end with the process */
		vg_stats_http_stop();
		if (upath != NULL)
			unlink(upath);
		vg_log_close();
		if (left > 0)
			_exit(0);        /* sessions still in callbacks: no exit handlers under them */
		exit(0);
	}
	vg_stats_http_stop();
	vg_milter_set_config(NULL);
	if (upath != NULL)
		unlink(upath);
	vg_config_unref(cfg);
	vg_dns_cache_free();
	vg_log_close();
	return rc == MI_SUCCESS ? 0 : 1;
}
