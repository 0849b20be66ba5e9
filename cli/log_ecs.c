/*
 * log_ecs.c -- `defuse logs --ecs`: a finding as an Elastic Common Schema
 * document (ECS 8.11; field table in docs/output-schemas.md, checked by
 * tests/e2e/ecs_output.sh against the ECS reference).  Built from the
 * finding's --json object: ECS fields where ECS has one (source.ip,
 * url.*, log.file.path, event.*), the rest under "defuse." (ECS's rule
 * for custom fields: a name of one's own, never a top-level ECS one).
 */
#include "cli.h"
#include "logs.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ECS_VERSION "8.11.0"

/* event.severity per kind (the order of defuse_kind: jndi, text4shell,
 * recursion, lookup, inert): what log4j does with it, 4 the worst. */
static const struct {
    const char *kind;
    int severity;
} kinds[] = {{"jndi", 4}, {"text4shell", 4}, {"recursion", 3}, {"lookup", 2}, {"inert", 1}};

static void now_iso(char *buf, size_t n) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
}

/* Moves member key of from (if present and not null) to to as name. */
static void move(json_t *from, const char *key, json_t *to, const char *name) {
    json_t *v = json_object_get(from, key);
    if (v && !json_is_null(v))
        json_object_set(to, name, v);
}

char *lecs_render(const char *native, const char *file_json, uint64_t line, uint64_t end_line,
                  const char *line_text, size_t line_len) {
    json_t *f = json_loads(native, 0, NULL);
    json_t *file = json_loads(file_json ? file_json : "null", JSON_DECODE_ANY, NULL);
    if (!json_is_object(f)) {
        json_decref(f);
        json_decref(file);
        return NULL;
    }
    char now[64];
    now_iso(now, sizeof now);
    const char *kind = json_string_value(json_object_get(f, "kind"));
    int sev = 0;
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i].kind))
            sev = kinds[i].severity;
    char action[48];
    snprintf(action, sizeof action, "log4shell-%s", kind ? kind : "unknown");
    const char *t = json_string_value(json_object_get(f, "time"));
    const char *hn = json_string_value(json_object_get(f, "hostname"));

    json_t *o = json_object();
    json_object_set_new(o, "@timestamp", json_string(t ? t : now));
    json_object_set_new(o, "ecs", json_pack("{s:s}", "version", ECS_VERSION));
    json_object_set_new(o, "event",
                        json_pack("{s:s,s:[s],s:[s],s:s,s:s,s:s,s:i,s:s}", "kind", "alert",
                                  "category", "intrusion_detection", "type", "info", "module",
                                  "defuse", "dataset", "defuse.logs", "action", action, "severity",
                                  sev, "created", now));
    if (hn)
        json_object_set_new(o, "host", json_pack("{s:s,s:s}", "hostname", hn, "name", hn));
    json_object_set_new(o, "agent", json_pack("{s:s,s:s}", "type", "defuse", "version",
                                              defuse_version()));
    json_t *lf = json_object();
    if (json_is_string(file))
        json_object_set(lf, "path", file);
    json_object_set_new(o, "log", json_pack("{s:o}", "file", lf));
    json_t *src = json_object_get(f, "src_ip");
    if (json_is_string(src))
        json_object_set_new(o, "source", json_pack("{s:O}", "ip", src));
    json_object_set_new(o, "rule", json_pack("{s:s,s:s}", "name", action, "category", "Log4Shell"));
    json_t *cb = json_object_get(f, "callback");
    if (json_is_string(cb)) {
        json_t *url = json_object();
        move(f, "callback", url, "original");
        move(f, "scheme", url, "scheme");
        move(f, "host", url, "domain");
        move(f, "port", url, "port");
        move(f, "path", url, "path");
        json_object_set_new(o, "url", url);
    }
    if (line_text) {
        json_t *orig = json_stringn(line_text, line_len); /* NULL if not UTF-8: left out */
        if (orig)
            json_object_set_new(json_object_get(o, "event"), "original", orig);
    }
    char msg[600];
    snprintf(msg, sizeof msg, "%s attempt%s%.500s", kind ? kind : "unknown",
             json_is_string(cb) ? ", callback " : "", json_is_string(cb) ? json_string_value(cb)
                                                                          : "");
    json_object_set_new(o, "message", json_string(msg));
    /* the rest of the native finding, as it is */
    json_t *d = json_deep_copy(f);
    static const char *const moved[] = {"hostname", "defuse_version", "src_ip"};
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++)
        json_object_del(d, moved[i]);
    json_object_set_new(d, "line", json_integer((json_int_t)line));
    if (end_line)
        json_object_set_new(d, "end_line", json_integer((json_int_t)end_line));
    json_object_set_new(o, "defuse", d);
    json_decref(f);
    json_decref(file);

    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return NULL;
    /* every '$' as \u0024 (only possible inside strings), as in --json */
    size_t n = 0, k = 0;
    for (; text[n]; n++)
        k += text[n] == '$';
    if (!k)
        return text;
    char *r = malloc(n + 5 * k + 1), *p = r;
    if (r) {
        for (size_t i = 0; i < n; i++) {
            if (text[i] == '$') {
                memcpy(p, "\\u0024", 6);
                p += 6;
            } else {
                *p++ = text[i];
            }
        }
        *p = '\0';
    }
    free(text);
    return r;
}
