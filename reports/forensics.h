/*
 * The forensics commands (docs/forensics.md): report, replay and learn
 * read an audit log back. Each returns the command's exit status; errors
 * are one line on stderr naming the file and line, and status 125.
 */
#ifndef JT_REPORTS_FORENSICS_H
#define JT_REPORTS_FORENSICS_H

/** jailtrace report [--format text|json] [--html OUT] LOG */
int jt_cmd_report(int argc, char **argv);
/** jailtrace replay LOG --policy FILE [--format text|json]: 0 nothing needed is denied, 1 something is */
int jt_cmd_replay(int argc, char **argv);
/** jailtrace learn [--base FILE] LOG */
int jt_cmd_learn(int argc, char **argv);

#endif
