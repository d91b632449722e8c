/**
 * @file milter.h
 * The libmilter glue, as seen by main.c.
 */
#ifndef VIGIE_MILTER_H
#define VIGIE_MILTER_H

#include "conf.h"

#ifndef VIGIE_CONF
#define VIGIE_CONF "/etc/vigie/vigie.conf"   /**< default config file */
#endif

/** Register the callbacks with libmilter; -1 on failure. */
int vg_milter_register(void);
/** Make cfg the config that new connections take (takes its own reference). */
void vg_milter_set_config(struct vg_config *cfg);

/** Connections currently open (contexts alive). */
int vg_milter_active(void);
/** Start stopping: connections opened from now on are tempfailed at CONNECT. */
void vg_milter_drain(void);

/** Start the statistics HTTP endpoint on "addr:port" (NULL or "": none); -1 on error. */
int vg_stats_http_start(const char *spec);
/** Stop it. */
void vg_stats_http_stop(void);

/** The explain sub-command; returns the process exit status. */
int vg_explain_main(int argc, char **argv);

#endif
