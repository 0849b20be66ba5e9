/*
 * honeypot.c -- `defuse honeypot`: command-line front of the tripwire daemon
 * in honeypot/ (configuration, protocols, events, the libuv server).
 */
#include "cli.h"

#include "honeypot.h"

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
    "      --check        validate the configuration and exit (0 valid, 2 not)\n"
    "  -h, --help         this text\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully (events flushed), SIGHUP reopens\n"
    "the log file.\n";

int cmd_honeypot(int argc, char **argv) {
    const char *path = NULL;
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            path = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            path = argv[i] + 9;
        } else if (!strcmp(argv[i], "--check")) {
            check = 1;
        } else {
            fprintf(stderr, "defuse honeypot: unknown argument '%s'\n%s", argv[i],
                    cli_help_honeypot);
            return EXIT_ERROR;
        }
    }
    if (!path) {
        fprintf(stderr, "defuse honeypot: -c CONFIG is required\n%s", cli_help_honeypot);
        return EXIT_ERROR;
    }
    hp_config cfg;
    char err[1024];
    if (hp_config_load(path, &cfg, err, sizeof err) != 0) {
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
