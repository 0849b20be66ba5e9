/*
 * honeypot.c -- `defuse honeypot`: command-line front of the tripwire daemon
 * in honeypot/ (configuration, protocols, events, the libuv server).
 */
#include "cli.h"

#include "honeypot.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cli_help_honeypot[] =
    "usage: defuse honeypot -c CONFIG [--check]\n"
    "\n"
    "Runs a tripwire listener: any number of TCP ports and ranges (IPv4 and\n"
    "IPv6) speaking http, ldap, rmi or raw tcp, each optionally over TLS\n"
    "(https, ldaps, `tls yes`), and dns over UDP.  Every connection becomes a\n"
    "JSON event; Log4Shell-class payloads are decoded by libdefuse, and\n"
    "LDAP/RMI callbacks are answered so that the JNDI client gets a\n"
    "NamingException, never an object.  Events go to a JSON Lines file\n"
    "and/or stdout, syslog (RFC 5424, UDP or TCP) and a webhook.\n"
    "\n"
    "TLS listeners use tls_cert/tls_key, or a self-signed EC certificate\n"
    "generated at first start in state_dir (default /var/lib/defuse-honeypot;\n"
    "key mode 0600, written before privileges are dropped).  Their events\n"
    "carry \"tls\", the version, the client's SNI and offered ALPN; a failed\n"
    "handshake (a client refusing the certificate) is the event\n"
    "tls.handshake_failed.  The first byte of a connection tells TLS from\n"
    "plaintext, so plaintext on a TLS port and TLS on a plaintext port are\n"
    "served and recorded too.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE  configuration file (see docs/honeypot.md)\n"
    "      --check        validate the configuration, and that the directory of\n"
    "                     log_file exists (the daemon does not create it), then\n"
    "                     exit (0 valid, 2 not)\n"
    "  -h, --help         this text\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully (events flushed), SIGHUP reopens\n"
    "the log file.\n";

int cmd_honeypot(int argc, char **argv) {
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    int check = 0, c;
    optind = 1;
    opterr = 0; /* errors in the "defuse honeypot: " style (cli_opt_error) */
    while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'C': check = 1; break;
        case 'h': fputs(cli_help_honeypot, stdout); return EXIT_CLEAN;
        default: return cli_opt_error("honeypot", c, argv);
        }
    }
    if (optind < argc)
        return cli_error("honeypot", "unexpected argument '%s' (the options are -c CONFIG and "
                                     "--check)", argv[optind]);
    if (!path)
        return cli_error("honeypot", "-c CONFIG is required (see 'defuse honeypot --help')");
    hp_config cfg;
    char err[1024];
    if (hp_config_load(path, &cfg, err, sizeof err) != 0 ||
        hp_config_check_paths(&cfg, path, err, sizeof err) != 0) {
        fprintf(stderr, "defuse honeypot: %s\n", err);
        hp_config_free(&cfg);
        return EXIT_ERROR;
    }
    int rc;
    if (check) {
        size_t sockets = 0;
        for (size_t i = 0; i < cfg.nlisteners; i++)
            for (size_t j = 0; j < cfg.listeners[i].nbinds; j++)
                sockets += cfg.listeners[i].binds[j].port_hi - cfg.listeners[i].binds[j].port_lo + 1;
        printf("%s: OK: %zu listeners, %zu sockets, %zu responses\n", path, cfg.nlisteners,
               sockets, cfg.nresponses);
        rc = EXIT_CLEAN;
    } else {
        rc = hp_server_run(&cfg) == 0 ? EXIT_CLEAN : EXIT_ERROR;
    }
    hp_config_free(&cfg);
    return rc;
}
