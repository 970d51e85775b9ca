/* SPDX-License-Identifier: BSD-3-Clause */
/* The subcommands, one file each (main.c dispatches). */
#ifndef HS_CMD_H
#define HS_CMD_H

int cmd_run(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_exporter(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_fleet_top(int argc, char **argv);   /* fleettop.c: `fleet top` */

#endif /* HS_CMD_H */
