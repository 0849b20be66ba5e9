/*
 * ngx_http_defuse_module.c -- nginx dynamic module that stops Log4Shell-class
 * ${...} injections at the edge.
 *
 * A thin adapter over the public API of libdefuse (include/defuse.h): every
 * request's request line (raw, and the decoded URI as a second look), every
 * header (Authorization with DEFUSE_SCAN_BASIC_AUTH) and its body (up to
 * defuse_body_limit bytes, in memory or spilled to a temp file, already
 * de-chunked by nginx) go through the log4j emulator -- and so does what
 * the application re-assembles from them: repeated headers joined with
 * ", ", repeated parameters (query, then urlencoded body) joined with ",",
 * the body inflated (gzip/deflate), converted from UTF-16/32 and, for XML,
 * reduced to its DOM text (libdefuse's defuse_charset_*, defuse_xml_text).  A finding that log4j
 * would act on (kinds jndi, text4shell, recursion) blocks the request with
 * defuse_status in `defuse_mode block`; lookups and inert attempts are only
 * logged.  Findings go to defuse_log as JSON Lines (defuse_finding_to_json()
 * plus request fields) and to the error log (defanged).
 *
 * Hooked in the REWRITE phase: unlike ACCESS it runs for subrequests and
 * before any access module, so neither SSI/auth_request subrequests nor
 * `satisfy any` can bypass it; as a dynamic module its handler runs before
 * the rewrite module's `return`/`rewrite` of the same location.
 *
 * Lifetimes: one defuse_scanner per worker process (init_process /
 * exit_process: a scanner is not thread-safe, a worker is single-threaded);
 * per-request state comes from r->pool and is registered as a pool cleanup,
 * which is how it is found again after an internal redirect (nginx clears
 * module contexts then; ngx_http_realip_module does the same).
 *
 * Directives (http, server, location):
 *   defuse on|off;                 default off
 *   defuse_mode block|detect;      default block
 *   defuse_status CODE;            400..599, default 403 (444 closes)
 *   defuse_body on|off;            default on
 *   defuse_body_limit SIZE;        default 1m (0: error)
 *   defuse_body_overflow block|pass; default block in block mode, else pass
 *   defuse_log PATH|off;           default off ('': error)
 *   defuse_ignore_header NAME...;  defuse_ignore_arg NAME...;
 *   defuse_allow ADDRESS|CIDR...;  exclusions, default none
 * Variables: $defuse_verdict ("pass", "detect", "block", each with
 * "-partial" when part of the request was not scanned; empty when the
 * request was not inspected) and $defuse_callback (the defanged JNDI name of
 * the most severe finding).  See docs/nginx.md.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <stdlib.h>
#include <zlib.h>

#include <defuse.h>

/* ---- limits (everything the request controls that this file bounds) ---- */

/* Default bytes of a body inspected; larger bodies are inspected in their
 * first defuse_body_limit bytes. */
#define NGX_HTTP_DEFUSE_DEFAULT_BODY_LIMIT (1024 * 1024)
/* JSON lines written to defuse_log per request (a request can hold many
 * payloads; the log must not be a amplification channel). */
#define NGX_HTTP_DEFUSE_MAX_LOG_LINES 32
/* Bytes of one request field (uri, host, header name) copied into a log
 * line, before escaping. */
#define NGX_HTTP_DEFUSE_MAX_LOG_FIELD 2048
/* Bytes of the defanged callback kept for $defuse_callback (with NUL). */
#define NGX_HTTP_DEFUSE_MAX_CALLBACK 512
/* Parameters (query and urlencoded body) parsed per request for the
 * joined values of repeated names and for defuse_ignore_arg (Tomcat's
 * maxParameterCount is 10000 too: an application sees no more).  Past it
 * the request is marked partially scanned. */
#define NGX_HTTP_DEFUSE_MAX_PARAMS 10000
/* Status of a request refused because its body exceeds defuse_body_limit
 * (defuse_body_overflow block), as ModSecurity's
 * SecRequestBodyLimitAction Reject. */
#define NGX_HTTP_DEFUSE_OVERFLOW_STATUS NGX_HTTP_REQUEST_ENTITY_TOO_LARGE

/* A compressed body is inflated to at most defuse_body_limit bytes and at
 * most this many times its compressed size (with a floor of
 * NGX_HTTP_DEFUSE_INFLATE_FLOOR bytes, so that small bodies of repetitive
 * text inflate whole): more is a bomb, handled as a body past the limit. */
#define NGX_HTTP_DEFUSE_MAX_RATIO 200
#define NGX_HTTP_DEFUSE_INFLATE_FLOOR (64 * 1024)
/* Bytes of XML text content per byte of XML, at most (entities expand):
 * more marks the request partially scanned (lib/bodytext.c bounds the
 * work). */
#define NGX_HTTP_DEFUSE_XML_GROWTH 8

#define NGX_HTTP_DEFUSE_OVERFLOW_PASS 0
#define NGX_HTTP_DEFUSE_OVERFLOW_BLOCK 1

#define NGX_HTTP_DEFUSE_MODE_DETECT 0
#define NGX_HTTP_DEFUSE_MODE_BLOCK 1

/* Verdicts, ordered: a request's verdict only ever rises. */
#define NGX_HTTP_DEFUSE_PASS 0
#define NGX_HTTP_DEFUSE_DETECT 1
#define NGX_HTTP_DEFUSE_BLOCK 2

/* Request states. */
#define NGX_HTTP_DEFUSE_NEW 0
#define NGX_HTTP_DEFUSE_READING_BODY 1
#define NGX_HTTP_DEFUSE_DONE 2

typedef struct {
    ngx_flag_t enable;
    ngx_uint_t mode;
    ngx_int_t status;
    ngx_flag_t body;
    size_t body_limit;
    ngx_uint_t body_overflow;    /* NGX_HTTP_DEFUSE_OVERFLOW_*; unset: by mode */
    ngx_open_file_t *log;        /* NULL: off */
    ngx_array_t *ignore_headers; /* of ngx_str_t; NULL: none */
    ngx_array_t *ignore_args;    /* of ngx_str_t; NULL: none */
    ngx_array_t *allow;          /* of ngx_cidr_t; NULL: none */
} ngx_http_defuse_loc_conf_t;

typedef struct {
    ngx_http_request_t *request; /* owner: matched after internal redirects */
    ngx_uint_t state;
    ngx_int_t rc;        /* returned once when the phase handler re-runs */
    ngx_uint_t verdict;  /* NGX_HTTP_DEFUSE_PASS .. BLOCK */
    int cb_kind;         /* kind of the finding that set callback, or -1 */
    ngx_str_t callback;  /* defanged, in r->pool */
    ngx_uint_t nlogged;  /* JSON lines written */
    ngx_uint_t announced; /* error-log line written */
    ngx_uint_t partial;  /* some of the request was not scanned */
    ngx_int_t status;    /* refusal status when not defuse_status (413) */
} ngx_http_defuse_ctx_t;

/* One scan pass over one part of a request: the user data of the finding
 * callback. */
typedef struct {
    ngx_http_request_t *r;
    ngx_http_defuse_ctx_t *ctx;
    ngx_http_defuse_loc_conf_t *conf;
    ngx_str_t part;      /* "request_line", "uri", "header:", "body", ... */
    ngx_str_t part_name; /* header name, or empty */
    ngx_uint_t found;    /* findings in this part */
    ngx_uint_t stop;     /* a blocking finding in block mode: stop */
    u_char *clean_lo;    /* a raw region known to hold no candidate: */
    u_char *clean_hi;    /* parts inside it need no scan */
} ngx_http_defuse_scan_t;

/* One header or parameter, for the joins of repeated names. */
typedef struct {
    ngx_str_t name;      /* header name, or decoded parameter name */
    ngx_str_t value;     /* header value, or decoded parameter value */
    ngx_str_t raw;       /* a parameter's "name=value" as received */
    ngx_uint_t index;    /* order of arrival */
    unsigned flags;      /* defuse_scan() flags */
    unsigned clean:1;    /* inside the raw head known to hold no candidate */
} ngx_http_defuse_item_t;

static ngx_int_t ngx_http_defuse_preconf(ngx_conf_t *cf);
static ngx_int_t ngx_http_defuse_init(ngx_conf_t *cf);
static void *ngx_http_defuse_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_defuse_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_defuse_set_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_defuse_set_names(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_defuse_set_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_defuse_check_limit(ngx_conf_t *cf, void *post, void *data);
static ngx_int_t ngx_http_defuse_init_process(ngx_cycle_t *cycle);
static void ngx_http_defuse_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_defuse_handler(ngx_http_request_t *r);
static void ngx_http_defuse_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_defuse_verdict_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_defuse_callback_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

/* Whether a finding kind blocks (in block mode).  Kinds log4j acts on
 * block; recon lookups and inert attempts are logged only, so that the
 * module blocks what log4j would fire and nothing else. */
static const ngx_uint_t ngx_http_defuse_kind_blocks[DEFUSE_KIND_COUNT] = {
    [DEFUSE_KIND_JNDI] = 1,
    [DEFUSE_KIND_TEXT4SHELL] = 1,
    [DEFUSE_KIND_RECURSION] = 1,
    [DEFUSE_KIND_LOOKUP] = 0,
    [DEFUSE_KIND_INERT] = 0,
};

/* Headers whose values carry Base64 credentials after "Basic ". */
static ngx_str_t ngx_http_defuse_basic_headers[] = {
    ngx_string("Authorization"),
    ngx_string("Proxy-Authorization"),
};

/* Indexed by verdict, then + 3 when the request was partially scanned. */
static ngx_str_t ngx_http_defuse_verdict_names[] = {
    ngx_string("pass"),
    ngx_string("detect"),
    ngx_string("block"),
    ngx_string("pass-partial"),
    ngx_string("detect-partial"),
    ngx_string("block-partial"),
};

static ngx_conf_enum_t ngx_http_defuse_overflows[] = {
    { ngx_string("pass"), NGX_HTTP_DEFUSE_OVERFLOW_PASS },
    { ngx_string("block"), NGX_HTTP_DEFUSE_OVERFLOW_BLOCK },
    { ngx_null_string, 0 }
};

static ngx_conf_post_t ngx_http_defuse_limit_post = { ngx_http_defuse_check_limit };

static ngx_conf_enum_t ngx_http_defuse_modes[] = {
    { ngx_string("detect"), NGX_HTTP_DEFUSE_MODE_DETECT },
    { ngx_string("block"), NGX_HTTP_DEFUSE_MODE_BLOCK },
    { ngx_null_string, 0 }
};

static ngx_conf_num_bounds_t ngx_http_defuse_status_bounds = {
    ngx_conf_check_num_bounds, 400, 599
};

static ngx_command_t ngx_http_defuse_commands[] = {

    { ngx_string("defuse"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, enable),
      NULL },

    { ngx_string("defuse_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, mode),
      &ngx_http_defuse_modes },

    { ngx_string("defuse_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, status),
      &ngx_http_defuse_status_bounds },

    { ngx_string("defuse_body"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, body),
      NULL },

    { ngx_string("defuse_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, body_limit),
      &ngx_http_defuse_limit_post },

    { ngx_string("defuse_body_overflow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, body_overflow),
      &ngx_http_defuse_overflows },

    { ngx_string("defuse_ignore_header"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_defuse_set_names,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, ignore_headers),
      NULL },

    { ngx_string("defuse_ignore_arg"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_defuse_set_names,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_defuse_loc_conf_t, ignore_args),
      NULL },

    { ngx_string("defuse_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_defuse_set_allow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("defuse_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_defuse_set_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};

static ngx_http_module_t ngx_http_defuse_module_ctx = {
    ngx_http_defuse_preconf,         /* preconfiguration */
    ngx_http_defuse_init,            /* postconfiguration */
    NULL,                            /* create main configuration */
    NULL,                            /* init main configuration */
    NULL,                            /* create server configuration */
    NULL,                            /* merge server configuration */
    ngx_http_defuse_create_loc_conf, /* create location configuration */
    ngx_http_defuse_merge_loc_conf   /* merge location configuration */
};

ngx_module_t ngx_http_defuse_module = {
    NGX_MODULE_V1,
    &ngx_http_defuse_module_ctx,     /* module context */
    ngx_http_defuse_commands,        /* module directives */
    NGX_HTTP_MODULE,                 /* module type */
    NULL,                            /* init master */
    NULL,                            /* init module */
    ngx_http_defuse_init_process,    /* init process */
    NULL,                            /* init thread */
    NULL,                            /* exit thread */
    ngx_http_defuse_exit_process,    /* exit process */
    NULL,                            /* exit master */
    NGX_MODULE_V1_PADDING
};

static ngx_http_variable_t ngx_http_defuse_vars[] = {
    { ngx_string("defuse_verdict"), NULL, ngx_http_defuse_verdict_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },
    { ngx_string("defuse_callback"), NULL, ngx_http_defuse_callback_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },
      ngx_http_null_variable
};

/* The worker's scanner (defuse_scanner is not thread-safe; a worker runs
 * requests on one thread). */
static defuse_scanner *ngx_http_defuse_scanner;

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */
/* ------------------------------------------------------------------------ */

static void *
ngx_http_defuse_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_defuse_loc_conf_t *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_defuse_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    conf->mode = NGX_CONF_UNSET_UINT;
    conf->status = NGX_CONF_UNSET;
    conf->body = NGX_CONF_UNSET;
    conf->body_limit = NGX_CONF_UNSET_SIZE;
    conf->body_overflow = NGX_CONF_UNSET_UINT;
    conf->log = NGX_CONF_UNSET_PTR;
    conf->ignore_headers = NGX_CONF_UNSET_PTR;
    conf->ignore_args = NGX_CONF_UNSET_PTR;
    conf->allow = NGX_CONF_UNSET_PTR;

    return conf;
}

static char *
ngx_http_defuse_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_defuse_loc_conf_t *prev = parent;
    ngx_http_defuse_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_DEFUSE_MODE_BLOCK);
    ngx_conf_merge_value(conf->status, prev->status, NGX_HTTP_FORBIDDEN);
    ngx_conf_merge_value(conf->body, prev->body, 1);
    ngx_conf_merge_size_value(conf->body_limit, prev->body_limit,
                              NGX_HTTP_DEFUSE_DEFAULT_BODY_LIMIT);
    ngx_conf_merge_ptr_value(conf->log, prev->log, NULL);
    ngx_conf_merge_ptr_value(conf->ignore_headers, prev->ignore_headers, NULL);
    ngx_conf_merge_ptr_value(conf->ignore_args, prev->ignore_args, NULL);
    ngx_conf_merge_ptr_value(conf->allow, prev->allow, NULL);
    /* Default: block in block mode (ModSecurity's SecRequestBodyLimitAction
     * Reject), pass in detect mode. */
    ngx_conf_merge_uint_value(conf->body_overflow, prev->body_overflow,
                              conf->mode == NGX_HTTP_DEFUSE_MODE_BLOCK
                              ? NGX_HTTP_DEFUSE_OVERFLOW_BLOCK
                              : NGX_HTTP_DEFUSE_OVERFLOW_PASS);

    return NGX_CONF_OK;
}

/* defuse_body_limit 0 would inspect no body while `defuse_body on` says
 * otherwise: refused at nginx -t (defuse_body off says it). */
static char *
ngx_http_defuse_check_limit(ngx_conf_t *cf, void *post, void *data)
{
    size_t *sp = data;

    if (*sp == 0) {
        return "must be at least 1 (to inspect no body, use \"defuse_body off\")";
    }

    return NGX_CONF_OK;
}

/* defuse_ignore_header NAME...; defuse_ignore_arg NAME...: names are
 * appended (several lines add up); a level that sets none inherits. */
static char *
ngx_http_defuse_set_names(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_array_t **a = (ngx_array_t **) ((char *) conf + cmd->offset);
    ngx_str_t *value, *name;
    ngx_uint_t i;

    if (*a == NGX_CONF_UNSET_PTR) {
        *a = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
        if (*a == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;
    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "has an empty name";
        }
        name = ngx_array_push(*a);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }
        *name = value[i];
    }

    return NGX_CONF_OK;
}

/* defuse_allow ADDRESS|CIDR...: clients not inspected at all (the address
 * nginx knows, i.e. after the realip module when that is configured). */
static char *
ngx_http_defuse_set_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_defuse_loc_conf_t *lcf = conf;
    ngx_str_t *value;
    ngx_cidr_t *cidr;
    ngx_uint_t i;
    ngx_int_t rc;

    if (lcf->allow == NGX_CONF_UNSET_PTR) {
        lcf->allow = ngx_array_create(cf->pool, 4, sizeof(ngx_cidr_t));
        if (lcf->allow == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;
    for (i = 1; i < cf->args->nelts; i++) {
        cidr = ngx_array_push(lcf->allow);
        if (cidr == NULL) {
            return NGX_CONF_ERROR;
        }
        rc = ngx_ptocidr(&value[i], cidr);
        if (rc == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid address or CIDR \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
        if (rc == NGX_DONE) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "low address bits of %V are meaningless", &value[i]);
        }
    }

    return NGX_CONF_OK;
}

/* defuse_log PATH|off: the file is opened by nginx (and reopened on
 * USR1) like access_log's. */
static char *
ngx_http_defuse_set_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_defuse_loc_conf_t *lcf = conf;
    ngx_str_t *value;

    if (lcf->log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "needs a file name or \"off\", not an empty string";
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        lcf->log = NULL;
        return NGX_CONF_OK;
    }

    lcf->log = ngx_conf_open_file(cf->cycle, &value[1]);
    if (lcf->log == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}

static ngx_int_t
ngx_http_defuse_preconf(ngx_conf_t *cf)
{
    ngx_http_variable_t *var, *v;

    for (v = ngx_http_defuse_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }
        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}

static ngx_int_t
ngx_http_defuse_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt *h;
    ngx_http_core_main_conf_t *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_defuse_handler;

    return NGX_OK;
}

static int
ngx_http_defuse_ignore_finding(const defuse_finding *f, void *user)
{
    return 0;
}

static ngx_int_t
ngx_http_defuse_init_process(ngx_cycle_t *cycle)
{
    static const char warm[] = "%24{a} ${a}";
    int rc;

    rc = defuse_scanner_new(&ngx_http_defuse_scanner, NULL);
    if (rc < 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "defuse: cannot create a scanner: %s", defuse_strerror(rc));
        ngx_http_defuse_scanner = NULL;
        return NGX_ERROR;
    }

    /* The library builds its pre-filter tables on first use (measured:
     * ~9 million instructions): pay that here, not in a client's request. */
    (void) defuse_candidate(warm, sizeof(warm) - 1);
    (void) defuse_scan(ngx_http_defuse_scanner, warm, sizeof(warm) - 1, 0,
                       ngx_http_defuse_ignore_finding, NULL);

    return NGX_OK;
}

static void
ngx_http_defuse_exit_process(ngx_cycle_t *cycle)
{
    defuse_scanner_free(ngx_http_defuse_scanner);
    ngx_http_defuse_scanner = NULL;
}

/* ------------------------------------------------------------------------ */
/* Per-request context                                                       */
/* ------------------------------------------------------------------------ */

/* The pool cleanup that ties the ctx to the request's pool.  Everything the
 * ctx points to is pool memory (library results are copied or freed before
 * the callback returns), so there is nothing to release: the cleanup record
 * exists so that the ctx can be found again after an internal redirect. */
static void
ngx_http_defuse_cleanup(void *data)
{
    ngx_http_defuse_ctx_t *ctx = data;

    ctx->request = NULL;
}

/* Returns the request's ctx, recovering it from the pool cleanups after an
 * internal redirect cleared r->ctx; NULL if the request has none. */
static ngx_http_defuse_ctx_t *
ngx_http_defuse_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t *cln;
    ngx_http_defuse_ctx_t *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_defuse_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_defuse_cleanup) {
                ctx = cln->data;
                if (ctx->request == r) {
                    ngx_http_set_ctx(r, ctx, ngx_http_defuse_module);
                    return ctx;
                }
            }
        }
        return NULL;
    }

    return ctx;
}

static ngx_http_defuse_ctx_t *
ngx_http_defuse_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t *cln;
    ngx_http_defuse_ctx_t *ctx;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_defuse_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_defuse_ctx_t));
    ctx->request = r;
    ctx->rc = NGX_DECLINED;
    ctx->cb_kind = -1;
    cln->handler = ngx_http_defuse_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_defuse_module);

    return ctx;
}

/* ------------------------------------------------------------------------ */
/* Logging                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Writes src[0..len) as the inside of a JSON string at dst (dst NULL: only
 * measures) and returns the bytes needed.  Hand-written rather than jansson
 * because request bytes are not necessarily UTF-8 (jansson refuses them) and
 * every "$" must become \u0024 so that no consumer sees a live "${": bytes
 * outside printable ASCII are written as \u00XX (Latin-1), lossless and
 * always valid JSON.
 */
static size_t
ngx_http_defuse_json_escape(u_char *dst, const u_char *src, size_t len)
{
    static const u_char hex[] = "0123456789abcdef";
    size_t i, n = 0;
    u_char c;

    for (i = 0; i < len; i++) {
        c = src[i];
        if (c == '"' || c == '\\') {
            if (dst) {
                dst[n] = '\\';
                dst[n + 1] = c;
            }
            n += 2;
        } else if (c < 0x20 || c >= 0x7f || c == '$') {
            if (dst) {
                ngx_memcpy(dst + n, "\\u00", 4);
                dst[n + 4] = hex[c >> 4];
                dst[n + 5] = hex[c & 0xf];
            }
            n += 6;
        } else {
            if (dst) {
                dst[n] = c;
            }
            n++;
        }
    }

    return n;
}

/* A member of the "extra" object of a log line. */
typedef struct {
    const char *key;
    ngx_str_t value;   /* a string value ... */
    ngx_str_t suffix;  /* ... concatenated with this one */
    ngx_uint_t is_number;
    ngx_int_t number;  /* used when is_number */
    const char *open;  /* written before the member ("\"request\":{") */
    const char *close; /* written after it ("}") */
} ngx_http_defuse_field_t;

/* Builds the request fields of a log line as a JSON object in r->pool:
 * {"schema", "hostname", "defuse_version", "time", "src_ip", "request":
 * {"client", "method", "uri", "host"}, "part", "action", "status"[,
 * "partial"]} (docs/output-schemas.md: src_ip is the name the other
 * programs use; request.client, the same address, is kept for readers
 * written before it).  The request's own fields are nested
 * under "request" so that the finding's fields (its callback's "host",
 * "port", "path"), placed after them at the top level, never overwrite
 * them.  action is "block", "detect" or "pass" (a partial-scan line).
 * Returns NULL on ENOMEM. */
static char *
ngx_http_defuse_log_extra(ngx_http_defuse_scan_t *sc, ngx_uint_t action, ngx_int_t status)
{
    ngx_http_request_t *r = sc->r;
    ngx_http_defuse_field_t fields[14];
    ngx_str_t time, host, version;
    ngx_uint_t i, nf = 0;
    size_t n, vlen, slen;
    u_char *buf, *p;

    time.len = ngx_cached_http_log_iso8601.len;
    time.data = ngx_cached_http_log_iso8601.data;
    host = r->headers_in.server;

    version.data = (u_char *) defuse_version();
    version.len = ngx_strlen(version.data);

    ngx_memzero(fields, sizeof(fields));
    fields[nf].key = "schema";
    fields[nf].is_number = 1;
    fields[nf++].number = 1;
    fields[nf].key = "hostname"; fields[nf++].value = ngx_cycle->hostname;
    fields[nf].key = "defuse_version"; fields[nf++].value = version;
    fields[nf].key = "time"; fields[nf++].value = time;
    fields[nf].key = "src_ip"; fields[nf++].value = r->connection->addr_text;
    fields[nf].open = "\"request\":{";
    fields[nf].key = "client"; fields[nf++].value = r->connection->addr_text;
    fields[nf].key = "method"; fields[nf++].value = r->main->method_name;
    fields[nf].key = "uri"; fields[nf++].value = r->unparsed_uri;
    fields[nf].key = "host"; fields[nf].close = "}"; fields[nf++].value = host;
    fields[nf].key = "part"; fields[nf].value = sc->part;
    fields[nf++].suffix = sc->part_name;
    fields[nf].key = "action";
    fields[nf++].value = ngx_http_defuse_verdict_names[action];
    fields[nf].key = "status";
    fields[nf].is_number = 1;
    fields[nf++].number = status;

    n = 16;
    for (i = 0; i < nf; i++) {
        n += ngx_strlen(fields[i].key) + 6 + NGX_INT_T_LEN;
        n += fields[i].open ? ngx_strlen(fields[i].open) : 0;
        n += fields[i].close ? ngx_strlen(fields[i].close) : 0;
        vlen = ngx_min(fields[i].value.len, NGX_HTTP_DEFUSE_MAX_LOG_FIELD);
        slen = ngx_min(fields[i].suffix.len, NGX_HTTP_DEFUSE_MAX_LOG_FIELD);
        n += ngx_http_defuse_json_escape(NULL, fields[i].value.data, vlen);
        n += ngx_http_defuse_json_escape(NULL, fields[i].suffix.data, slen);
    }

    buf = ngx_pnalloc(r->pool, n + 1);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;
    *p++ = '{';
    for (i = 0; i < nf; i++) {
        if (i) {
            *p++ = ',';
        }
        if (fields[i].open) {
            p = ngx_cpymem(p, fields[i].open, ngx_strlen(fields[i].open));
        }
        p = ngx_sprintf(p, "\"%s\":", fields[i].key);
        if (fields[i].is_number) {
            p = ngx_sprintf(p, "%i", fields[i].number);
        } else {
            vlen = ngx_min(fields[i].value.len, NGX_HTTP_DEFUSE_MAX_LOG_FIELD);
            slen = ngx_min(fields[i].suffix.len, NGX_HTTP_DEFUSE_MAX_LOG_FIELD);
            *p++ = '"';
            p += ngx_http_defuse_json_escape(p, fields[i].value.data, vlen);
            p += ngx_http_defuse_json_escape(p, fields[i].suffix.data, slen);
            *p++ = '"';
        }
        if (fields[i].close) {
            p = ngx_cpymem(p, fields[i].close, ngx_strlen(fields[i].close));
        }
    }
    if (sc->ctx->partial) {
        p = ngx_cpymem(p, ",\"partial\":true", sizeof(",\"partial\":true") - 1);
    }
    *p++ = '}';
    *p = '\0';

    return (char *) buf;
}

/* Appends text[0..len) and a newline to defuse_log (one write(2) on an
 * O_APPEND file, so lines of concurrent workers do not interleave).  text
 * is malloc'd and freed here. */
static void
ngx_http_defuse_log_write(ngx_http_defuse_scan_t *sc, char *text)
{
    char *line;
    size_t len;
    ssize_t n;

    len = ngx_strlen(text);
    line = realloc(text, len + 2);
    if (line == NULL) {
        free(text);
        return;
    }
    line[len] = '\n';
    line[len + 1] = '\0';

    n = ngx_write_fd(sc->conf->log->fd, line, len + 1);
    if (n != (ssize_t) (len + 1)) {
        ngx_log_error(NGX_LOG_ALERT, sc->r->connection->log, ngx_errno,
                      "defuse: cannot write to defuse_log \"%V\"",
                      &sc->conf->log->name);
    }

    free(line);
}

/* Whether another line may go to defuse_log for this request: up to
 * NGX_HTTP_DEFUSE_MAX_LOG_LINES findings, plus a few partial-scan lines
 * (extra: 1) that many findings must not crowd out. */
static ngx_uint_t
ngx_http_defuse_log_room(ngx_http_defuse_scan_t *sc, ngx_uint_t extra)
{
    if (sc->conf->log == NULL
        || sc->ctx->nlogged >= NGX_HTTP_DEFUSE_MAX_LOG_LINES + (extra ? 4 : 0))
    {
        return 0;
    }
    sc->ctx->nlogged++;
    return 1;
}

/* One JSON line for f. */
static void
ngx_http_defuse_log_finding(ngx_http_defuse_scan_t *sc, const defuse_finding *f,
    ngx_uint_t blocked)
{
    char *extra, *json;

    if (!ngx_http_defuse_log_room(sc, 0)) {
        return;
    }

    extra = ngx_http_defuse_log_extra(sc, blocked ? NGX_HTTP_DEFUSE_BLOCK
                                                  : NGX_HTTP_DEFUSE_DETECT,
                                      blocked ? sc->conf->status : 0);
    if (extra == NULL) {
        return;
    }

    json = defuse_finding_to_json(f, extra);
    if (json == NULL) {
        ngx_log_error(NGX_LOG_ERR, sc->r->connection->log, 0,
                      "defuse: cannot render a finding as JSON");
        return;
    }

    ngx_http_defuse_log_write(sc, json);
}

/* One JSON line saying that part of the request was not scanned:
 * {request fields..., "partial":true, "event":EVENT, "bytes":ALL,
 * "scanned":SCANNED}. */
static void
ngx_http_defuse_log_partial(ngx_http_defuse_scan_t *sc, const char *event,
    ngx_uint_t blocked, off_t all, off_t scanned)
{
    char *extra, *text;
    size_t len;

    if (!ngx_http_defuse_log_room(sc, 1)) {
        return;
    }

    extra = ngx_http_defuse_log_extra(sc, blocked ? NGX_HTTP_DEFUSE_BLOCK
                                                  : NGX_HTTP_DEFUSE_PASS,
                                      blocked ? NGX_HTTP_DEFUSE_OVERFLOW_STATUS : 0);
    if (extra == NULL) {
        return;
    }

    len = ngx_strlen(extra);
    text = malloc(len + 128);
    if (text == NULL) {
        return;
    }
    /* extra ends in '}': replace it by the event members. */
    ngx_memcpy(text, extra, len - 1);
    *ngx_snprintf((u_char *) text + len - 1, 127,
                  ",\"event\":\"%s\",\"bytes\":%O,\"scanned\":%O}", event, all, scanned)
        = '\0';

    ngx_http_defuse_log_write(sc, text);
}

/* ------------------------------------------------------------------------ */
/* Scanning                                                                  */
/* ------------------------------------------------------------------------ */

/* Keeps the defanged callback of the most severe finding for
 * $defuse_callback. */
static void
ngx_http_defuse_keep_callback(ngx_http_defuse_scan_t *sc, const defuse_finding *f)
{
    ngx_http_defuse_ctx_t *ctx = sc->ctx;
    char buf[NGX_HTTP_DEFUSE_MAX_CALLBACK];
    size_t need, len;
    u_char *p;

    if (f->callback == NULL
        || (ctx->cb_kind >= 0 && ctx->cb_kind <= (int) f->kind))
    {
        return;
    }

    need = defuse_defang(f->callback, ngx_strlen(f->callback), buf, sizeof(buf));
    len = ngx_min(need, sizeof(buf) - 1);

    p = ngx_pnalloc(sc->r->pool, len);
    if (p == NULL) {
        return;
    }
    ngx_memcpy(p, buf, len);

    ctx->callback.data = p;
    ctx->callback.len = len;
    ctx->cb_kind = (int) f->kind;
}

/* defuse_finding_cb: records, logs, and stops the scan at the first
 * blocking finding in block mode. */
static int
ngx_http_defuse_on_finding(const defuse_finding *f, void *user)
{
    ngx_http_defuse_scan_t *sc = user;
    ngx_http_defuse_ctx_t *ctx = sc->ctx;
    ngx_uint_t blocking, blocked, verdict;
    char cb[NGX_HTTP_DEFUSE_MAX_CALLBACK];

    blocking = (unsigned) f->kind < DEFUSE_KIND_COUNT
               && ngx_http_defuse_kind_blocks[f->kind];
    blocked = blocking && sc->conf->mode == NGX_HTTP_DEFUSE_MODE_BLOCK;
    verdict = blocked ? NGX_HTTP_DEFUSE_BLOCK : NGX_HTTP_DEFUSE_DETECT;

    sc->found++;
    if (verdict > ctx->verdict) {
        ctx->verdict = verdict;
    }

    ngx_http_defuse_keep_callback(sc, f);
    ngx_http_defuse_log_finding(sc, f, blocked);

    if (!ctx->announced || blocked) {
        ctx->announced = 1;
        if (f->callback) {
            defuse_defang(f->callback, ngx_strlen(f->callback), cb, sizeof(cb));
        } else {
            cb[0] = '\0';
        }
        ngx_log_error(NGX_LOG_WARN, sc->r->connection->log, 0,
                      "defuse: %s %s finding in %V%V, callback \"%s\"",
                      blocked ? "blocked" : "detected",
                      defuse_kind_name(f->kind), &sc->part, &sc->part_name, cb);
    }

    if (blocked) {
        sc->stop = 1;
        return 1;
    }

    return 0;
}

/*
 * Whether buf[0..len) can only hold lookups that log4j resolves from the
 * configuration's properties, never JNDI, a script or a recursion: it has
 * no ':' (every prefixed lookup "${jndi:", default value "${x:-y}" and
 * case-mapping "${lower:" needs one) and nothing libdefuse would decode
 * into one: no escape start ('%', '\\', '&'; '=' of quoted-printable and
 * MIME words) and no Base64 trigger (the word "basic" in any case, a JWT's
 * "eyJ").  Benign templates such as "${user.name} ${HOME}" are such text:
 * a 4 KB header of them cost ~30 us of emulation, this check ~2 us.  The
 * library reports nothing for such text (checked over the corpus payload
 * lists and 200,000 random strings of "${", "}", lookup names and
 * Unicode letters; tests/e2e/nginx_templates.sh keeps recall around it).
 */
/* Whether a word holds a zero byte (exact as to existence). */
#define NGX_HTTP_DEFUSE_ONES 0x0101010101010101ULL
#define NGX_HTTP_DEFUSE_HAS0(w) \
    (((w) - NGX_HTTP_DEFUSE_ONES) & ~(w) & (NGX_HTTP_DEFUSE_ONES * 0x80))
#define NGX_HTTP_DEFUSE_HAS(w, c) NGX_HTTP_DEFUSE_HAS0((w) ^ (NGX_HTTP_DEFUSE_ONES * (c)))

/* The byte test of ngx_http_defuse_inert() at i: 0 rules the shortcut
 * out. */
static ngx_uint_t
ngx_http_defuse_inert_at(const u_char *buf, size_t len, size_t i)
{
    switch (buf[i]) {
    case ':': case '%': case '\\': case '&': case '=':
        return 0;
    case 'b': case 'B':
        return !(len - i >= 5 && ngx_strncasecmp((u_char *) buf + i, (u_char *) "basic", 5) == 0);
    default:
        return 1;
    }
}

static ngx_uint_t
ngx_http_defuse_inert(const u_char *buf, size_t len, unsigned flags)
{
    uint64_t w;
    size_t i, k;

    if ((flags & DEFUSE_SCAN_BASIC_AUTH) || memmem(buf, len, "eyJ", 3) != NULL) {
        return 0;
    }
    /* eight bytes at a time (SWAR): most words hold none of the bytes */
    for (i = 0; i + 8 <= len; i += 8) {
        ngx_memcpy(&w, buf + i, 8);
        if (NGX_HTTP_DEFUSE_HAS(w, ':') | NGX_HTTP_DEFUSE_HAS(w, '%')
            | NGX_HTTP_DEFUSE_HAS(w, '\\') | NGX_HTTP_DEFUSE_HAS(w, '&')
            | NGX_HTTP_DEFUSE_HAS(w, '='))
        {
            return 0;
        }
        if (NGX_HTTP_DEFUSE_HAS(w | NGX_HTTP_DEFUSE_ONES * 0x20, 'b')) {
            for (k = i; k < i + 8; k++) {
                if (!ngx_http_defuse_inert_at(buf, len, k)) {
                    return 0;
                }
            }
        }
    }
    for ( /* void */ ; i < len; i++) {
        if (!ngx_http_defuse_inert_at(buf, len, i)) {
            return 0;
        }
    }
    return 1;
}

/* Scans buf[0..len) as part `part` (+ name) of the request. */
static void
ngx_http_defuse_scan_part(ngx_http_defuse_scan_t *sc, const char *part,
    ngx_str_t *name, const u_char *buf, size_t len, unsigned flags)
{
    int rc;

    if (sc->stop || len == 0
        || (sc->clean_hi && buf >= sc->clean_lo && buf + len <= sc->clean_hi)
        || defuse_candidate((const char *) buf, len) == len
        || ngx_http_defuse_inert(buf, len, flags))
    {
        return;
    }

    sc->part.data = (u_char *) part;
    sc->part.len = ngx_strlen(part);
    if (name) {
        sc->part_name = *name;
    } else {
        ngx_str_null(&sc->part_name);
    }

    rc = defuse_scan(ngx_http_defuse_scanner, (const char *) buf, len, flags,
                     ngx_http_defuse_on_finding, sc);

    if (rc < 0 && rc != DEFUSE_ESTOPPED) {
        ngx_log_error(NGX_LOG_ERR, sc->r->connection->log, 0,
                      "defuse: scanning %V%V failed: %s",
                      &sc->part, &sc->part_name, defuse_strerror(rc));
    }
}

static unsigned
ngx_http_defuse_header_flags(ngx_table_elt_t *h)
{
    ngx_uint_t i;

    for (i = 0; i < sizeof(ngx_http_defuse_basic_headers)
                    / sizeof(ngx_http_defuse_basic_headers[0]); i++)
    {
        if (h->key.len == ngx_http_defuse_basic_headers[i].len
            && ngx_strncasecmp(h->key.data, ngx_http_defuse_basic_headers[i].data,
                               h->key.len) == 0)
        {
            return DEFUSE_SCAN_BASIC_AUTH;
        }
    }

    return 0;
}

/*
 * Speed: one pre-filter pass over the raw request head instead of one per
 * part.  For HTTP/1 the request line and the headers arrive in
 * r->header_in, [request line start, header_in->pos) once the headers are
 * parsed (nginx only NUL-terminates names and values in place, which
 * cannot add a candidate).  A candidate is a literal substring, so if the
 * whole head holds none, no part inside it does: such parts are skipped
 * without a call each (a short part costs the library's scalar path; the
 * head is long enough for its SIMD path).  Parts elsewhere (a header moved
 * to a large header buffer, the decoded URI, HTTP/2) are checked one by one
 * as before.
 */
static void
ngx_http_defuse_check_head(ngx_http_defuse_scan_t *sc)
{
    ngx_http_request_t *r = sc->r;
    ngx_buf_t *b = r->header_in;
    u_char *lo, *hi;

    if (r != r->main || b == NULL || r->request_line.data == NULL) {
        return;
    }
#if (NGX_HTTP_V2)
    if (r->stream) {
        return;
    }
#endif

    lo = r->request_line.data;
    hi = b->pos;
    if (lo < b->start || hi > b->last || lo >= hi) {
        return;
    }

    if (defuse_candidate((const char *) lo, (size_t) (hi - lo)) == (size_t) (hi - lo)) {
        sc->clean_lo = lo;
        sc->clean_hi = hi;
    }
}

/* The request line (raw; the decoded URI as a second look when the raw
 * line held nothing), or a subrequest's own URI and arguments. */
static void
ngx_http_defuse_scan_line(ngx_http_defuse_scan_t *sc)
{
    ngx_http_request_t *r = sc->r;

    if (r == r->main && r->request_line.len) {
        sc->found = 0;
        if (sc->conf->ignore_args && r->args.len
            && r->args.data > r->request_line.data
            && r->args.data + r->args.len <= r->request_line.data + r->request_line.len)
        {
            /* defuse_ignore_arg: the line around the query; the query's
             * parameters one by one (ngx_http_defuse_scan_params). */
            u_char *end = r->request_line.data + r->request_line.len;
            u_char *aend = r->args.data + r->args.len;

            ngx_http_defuse_scan_part(sc, "request_line", NULL, r->request_line.data,
                                      (size_t) (r->args.data - r->request_line.data), 0);
            ngx_http_defuse_scan_part(sc, "request_line", NULL, aend,
                                      (size_t) (end - aend), 0);
        } else {
            ngx_http_defuse_scan_part(sc, "request_line", NULL, r->request_line.data,
                                      r->request_line.len, 0);
        }
        if (sc->found) {
            return;
        }
        ngx_http_defuse_scan_part(sc, "uri", NULL, r->uri.data, r->uri.len, 0);
        return;
    }

    ngx_http_defuse_scan_part(sc, "uri", NULL, r->uri.data, r->uri.len, 0);
    ngx_http_defuse_scan_part(sc, "args", NULL, r->args.data, r->args.len, 0);
}

/* Whether name is in names (an array of ngx_str_t, or NULL); case-
 * insensitive for headers, exact for parameters (as the Servlet API). */
static ngx_uint_t
ngx_http_defuse_name_in(ngx_array_t *names, ngx_str_t *name, ngx_uint_t icase)
{
    ngx_str_t *n;
    ngx_uint_t i;

    if (names == NULL) {
        return 0;
    }
    n = names->elts;
    for (i = 0; i < names->nelts; i++) {
        if (n[i].len == name->len
            && (icase ? ngx_strncasecmp(n[i].data, name->data, name->len) == 0
                      : ngx_memcmp(n[i].data, name->data, name->len) == 0))
        {
            return 1;
        }
    }
    return 0;
}

static int ngx_libc_cdecl
ngx_http_defuse_cmp_items(const void *a, const void *b, ngx_uint_t icase)
{
    const ngx_http_defuse_item_t *x = a, *y = b;
    ngx_int_t rc;

    if (x->name.len != y->name.len) {
        return x->name.len < y->name.len ? -1 : 1;
    }
    rc = icase ? ngx_strncasecmp(x->name.data, y->name.data, x->name.len)
               : ngx_memcmp(x->name.data, y->name.data, x->name.len);
    if (rc) {
        return rc < 0 ? -1 : 1;
    }
    return x->index < y->index ? -1 : (x->index > y->index);
}

static int ngx_libc_cdecl
ngx_http_defuse_cmp_icase(const void *a, const void *b)
{
    return ngx_http_defuse_cmp_items(a, b, 1);
}

static int ngx_libc_cdecl
ngx_http_defuse_cmp_exact(const void *a, const void *b)
{
    return ngx_http_defuse_cmp_items(a, b, 0);
}

/*
 * The values of every name that occurs more than once, joined in order of
 * arrival with sep, scanned as one part: what the application logs when
 * nginx ($proxy_add_x_forwarded_for: ", "), the Servlet container or
 * Spring (@RequestHeader: ", "; @RequestParam String: ",") join them.
 * items[0..n) are sorted here.  Groups wholly inside the raw head known to
 * hold no candidate are skipped: a candidate cannot straddle a join (every
 * trigger literal continues with hex digits, letters, '{', ';', '#' or an
 * escape start, never with ',' or ", "), so their join holds none either.
 * Work: O(n log n) and one temporary of the largest join (bounded by the
 * request's size).
 */
static void
ngx_http_defuse_scan_joins(ngx_http_defuse_scan_t *sc, ngx_http_defuse_item_t *items,
    ngx_uint_t n, ngx_uint_t icase, const char *part, const char *sep)
{
    ngx_uint_t i, j, k, clean;
    size_t total, seplen = ngx_strlen(sep);
    u_char *buf, *p;

    if (n < 2) {
        return;
    }
    qsort(items, n, sizeof(ngx_http_defuse_item_t),
          icase ? ngx_http_defuse_cmp_icase : ngx_http_defuse_cmp_exact);

    for (i = 0; i < n && !sc->stop; i = j) {
        total = items[i].value.len;
        clean = items[i].clean;
        for (j = i + 1; j < n && items[j].name.len == items[i].name.len
                        && (icase ? ngx_strncasecmp(items[i].name.data, items[j].name.data,
                                                    items[i].name.len)
                                  : ngx_memcmp(items[i].name.data, items[j].name.data,
                                               items[i].name.len)) == 0; j++)
        {
            total += seplen + items[j].value.len;
            clean &= items[j].clean;
        }
        if (j - i < 2 || clean) {
            continue;
        }
        buf = ngx_alloc(total ? total : 1, sc->r->connection->log);
        if (buf == NULL) {
            return;
        }
        p = buf;
        for (k = i; k < j; k++) {
            if (k > i) {
                p = ngx_cpymem(p, sep, seplen);
            }
            p = ngx_cpymem(p, items[k].value.data, items[k].value.len);
        }
        ngx_http_defuse_scan_part(sc, part, &items[i].name, buf, total, items[i].flags);
        ngx_free(buf);
    }
}

static void
ngx_http_defuse_scan_headers(ngx_http_defuse_scan_t *sc)
{
    ngx_list_part_t *part;
    ngx_table_elt_t *h;
    ngx_http_defuse_item_t *items;
    ngx_uint_t i, n, count, dirty;
    ngx_array_t *ignore = sc->conf->ignore_headers;

    part = &sc->r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            h = part->elts;
            i = 0;
        }
        if (sc->stop) {
            return;
        }
        if (ignore && ngx_http_defuse_name_in(ignore, &h[i].key, 1)) {
            continue;
        }
        ngx_http_defuse_scan_part(sc, "header:", &h[i].key, h[i].value.data,
                                  h[i].value.len, ngx_http_defuse_header_flags(&h[i]));
    }

    /* Repeated headers, joined with ", ".  Nothing to join when every
     * value lies in the raw head known to hold no candidate (the common
     * HTTP/1 request): see ngx_http_defuse_scan_joins(). */
    count = 0;
    dirty = 0;
    for (part = &sc->r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts && !dirty; i++) {
            dirty = !(sc->clean_hi && h[i].value.data >= sc->clean_lo
                      && h[i].value.data + h[i].value.len <= sc->clean_hi);
        }
        count += part->nelts;
    }
    if (count < 2 || !dirty || sc->stop) {
        return;
    }
    items = ngx_alloc(count * sizeof(ngx_http_defuse_item_t), sc->r->connection->log);
    if (items == NULL) {
        return;
    }
    n = 0;
    for (part = &sc->r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (ignore && ngx_http_defuse_name_in(ignore, &h[i].key, 1)) {
                continue;
            }
            ngx_memzero(&items[n], sizeof(ngx_http_defuse_item_t));
            items[n].name = h[i].key;
            items[n].value = h[i].value;
            items[n].index = n;
            items[n].flags = ngx_http_defuse_header_flags(&h[i]);
            items[n].clean = sc->clean_hi && h[i].value.data >= sc->clean_lo
                             && h[i].value.data + h[i].value.len <= sc->clean_hi;
            n++;
        }
    }
    ngx_http_defuse_scan_joins(sc, items, n, 1, "header:", ", ");
    ngx_free(items);
}

/* Whether the body is an HTML form (application/x-www-form-urlencoded). */
static ngx_uint_t
ngx_http_defuse_is_form(ngx_http_request_t *r)
{
    static const u_char form[] = "application/x-www-form-urlencoded";
    ngx_table_elt_t *ct = r->headers_in.content_type;

    return ct && ct->value.len >= sizeof(form) - 1
           && ngx_strncasecmp(ct->value.data, (u_char *) form, sizeof(form) - 1) == 0;
}

/* Decodes one form component as the Servlet API does ('+' is a space,
 * %XX a byte; an invalid escape stays as it is) into dst, which has room
 * for end - s bytes (decoding only shrinks).  Returns the end of output. */
static u_char *
ngx_http_defuse_form_decode(u_char *dst, const u_char *s, const u_char *end)
{
    static const int8_t hex[256] = {
        ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
        ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13,
        ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13,
        ['D'] = 14, ['E'] = 15, ['F'] = 16,
    };   /* digit value + 1; 0: not a hex digit */

    while (s < end) {
        if (*s == '+') {
            *dst++ = ' ';
            s++;
        } else if (*s == '%' && end - s >= 3 && hex[s[1]] && hex[s[2]]) {
            *dst++ = (u_char) (((hex[s[1]] - 1) << 4) | (hex[s[2]] - 1));
            s += 3;
        } else {
            *dst++ = *s++;
        }
    }
    return dst;
}

/* Splits s[0..len) at '&' into items[*n .. max), decoding names and values
 * into *dec (advanced; room for len bytes).  Returns 1 when parameters
 * were left out at max. */
static ngx_uint_t
ngx_http_defuse_parse_form(const u_char *s, size_t len, ngx_http_defuse_item_t *items,
    ngx_uint_t *n, ngx_uint_t max, u_char **dec, unsigned clean)
{
    const u_char *end = s + len, *seg, *eq, *amp;
    ngx_http_defuse_item_t *it;

    for (seg = s; seg < end; seg = amp + 1) {
        amp = ngx_strlchr((u_char *) seg, (u_char *) end, '&');
        if (amp == NULL) {
            amp = end;
        }
        if (amp > seg) {
            if (*n >= max) {
                return 1;
            }
            eq = ngx_strlchr((u_char *) seg, (u_char *) amp, '=');
            if (eq == NULL) {
                eq = amp;
            }
            it = &items[*n];
            ngx_memzero(it, sizeof(ngx_http_defuse_item_t));
            it->raw.data = (u_char *) seg;
            it->raw.len = (size_t) (amp - seg);
            it->name.data = *dec;
            *dec = ngx_http_defuse_form_decode(*dec, seg, eq);
            it->name.len = (size_t) (*dec - it->name.data);
            it->value.data = *dec;
            *dec = ngx_http_defuse_form_decode(*dec, eq < amp ? eq + 1 : amp, amp);
            it->value.len = (size_t) (*dec - it->value.data);
            it->index = *n;
            it->clean = clean;
            (*n)++;
        }
        if (amp == end) {
            break;
        }
    }
    return 0;
}

/* The boundary of a multipart/form-data Content-Type (RFC 2046: at most
 * 70 characters; quotes removed), or an empty string. */
static ngx_str_t
ngx_http_defuse_boundary(ngx_http_request_t *r)
{
    static const u_char mp[] = "multipart/form-data";
    ngx_table_elt_t *ct = r->headers_in.content_type;
    ngx_str_t b = ngx_null_string;
    u_char *p, *end;
    size_t i;

    if (ct == NULL || ct->value.len < sizeof(mp) - 1
        || ngx_strncasecmp(ct->value.data, (u_char *) mp, sizeof(mp) - 1) != 0)
    {
        return b;
    }
    end = ct->value.data + ct->value.len;
    for (i = sizeof(mp) - 1; i + 9 <= ct->value.len; i++) {
        if (ngx_strncasecmp(ct->value.data + i, (u_char *) "boundary=", 9) == 0) {
            p = ct->value.data + i + 9;
            if (p < end && *p == '"') {
                p++;
            }
            b.data = p;
            while (p < end && *p != '"' && *p != ';') {
                p++;
            }
            b.len = (size_t) (p - b.data);
            if (b.len > 70) {
                ngx_str_null(&b);
            }
            break;
        }
    }
    return b;
}

/*
 * The form fields of a multipart/form-data body s[0..len) (parts with a
 * filename are files, not parameters, as for the Servlet API) appended to
 * items[*n .. max): the name of Content-Disposition's name="..." and the
 * part's body, both pointing into s (no copy, no decoding).  A part cut by
 * the end of s ends there.  Returns 1 when fields were left out at max.
 */
static ngx_uint_t
ngx_http_defuse_parse_multipart(const u_char *s, size_t len, ngx_str_t *boundary,
    ngx_http_defuse_item_t *items, ngx_uint_t *n, ngx_uint_t max)
{
    u_char delim[2 + 70];
    const u_char *p, *end = s + len, *hs, *he, *vs, *ve, *nm, *q;
    size_t dl;
    ngx_http_defuse_item_t *it;

    if (boundary->len == 0 || boundary->len > 70) {
        return 0;
    }
    delim[0] = '-';
    delim[1] = '-';
    ngx_memcpy(delim + 2, boundary->data, boundary->len);
    dl = boundary->len + 2;

    for (p = memmem(s, len, delim, dl); p != NULL; /* void */) {
        hs = p + dl;
        if (end - hs >= 2 && hs[0] == '-' && hs[1] == '-') {
            break;                                  /* the close delimiter */
        }
        he = memmem(hs, (size_t) (end - hs), "\r\n\r\n", 4);
        if (he == NULL) {
            break;
        }
        vs = he + 4;
        p = memmem(vs, (size_t) (end - vs), delim, dl);
        ve = p ? p : end;
        if (p && ve - vs >= 2 && ve[-2] == '\r' && ve[-1] == '\n') {
            ve -= 2;
        }

        /* the part's headers [hs, he): name="..." after ';' or a blank,
         * and no filename */
        nm = NULL;
        if (memmem(hs, (size_t) (he - hs), "filename=", 9) == NULL) {
            for (q = hs; q + 7 <= he; q++) {
                if ((q[0] == ';' || q[0] == ' ' || q[0] == '\t')
                    && ngx_strncasecmp((u_char *) q + 1, (u_char *) "name=\"", 6) == 0)
                {
                    nm = q + 7;
                    break;
                }
            }
        }
        if (nm == NULL) {
            continue;
        }
        if (*n >= max) {
            return 1;
        }
        for (q = nm; q < he && *q != '"'; q++) { /* void */ }
        it = &items[*n];
        ngx_memzero(it, sizeof(ngx_http_defuse_item_t));
        it->name.data = (u_char *) nm;
        it->name.len = (size_t) (q - nm);
        it->value.data = (u_char *) vs;
        it->value.len = (size_t) (ve - vs);
        it->index = *n;
        (*n)++;
    }
    return 0;
}

/*
 * The parameters of the main request as the application gets them: the
 * query's, then a urlencoded body's or (boundary not NULL) a multipart
 * body's form fields (body: NULL when there is none), the
 * values of a repeated name joined with "," (Spring's @RequestParam
 * String; Servlet getParameterValues() order), and with defuse_ignore_arg
 * every other parameter one by one.  Nothing to do when no ignore is set
 * and both the query and the body hold no candidate (a clean raw text has
 * no candidate after form decoding and joining either).
 */
static void
ngx_http_defuse_scan_params(ngx_http_defuse_scan_t *sc, const u_char *body, size_t blen,
    ngx_str_t *boundary)
{
    ngx_http_request_t *r = sc->r;
    ngx_array_t *ignore = sc->conf->ignore_args;
    ngx_http_defuse_item_t *items;
    ngx_uint_t n, i, k, max, trunc, qclean;
    const u_char *p, *end;
    u_char *dec, *d;

    if (r != r->main || sc->stop) {
        return;
    }
    qclean = r->args.len == 0
             || (sc->clean_hi && r->args.data >= sc->clean_lo
                 && r->args.data + r->args.len <= sc->clean_hi)
             || (ignore == NULL
                 && defuse_candidate((const char *) r->args.data, r->args.len) == r->args.len);
    if (ignore == NULL && qclean
        && (body == NULL || defuse_candidate((const char *) body, blen) == blen))
    {
        return;
    }

    /* At most one parameter per '&' (a form) or per "\r\n\r\n" (the end
     * of a multipart part's headers) plus one per text. */
    max = 2;
    for (p = r->args.data, end = p + r->args.len; p < end && max < NGX_HTTP_DEFUSE_MAX_PARAMS; p++) {
        max += *p == '&';
    }
    for (p = body, end = body + blen; body && p < end && max < NGX_HTTP_DEFUSE_MAX_PARAMS; p++) {
        max += boundary ? (*p == '\n' && p > body && p[-1] == '\r' && end - p >= 3
                           && p[1] == '\r' && p[2] == '\n')
                        : *p == '&';
    }
    max = ngx_min(max, NGX_HTTP_DEFUSE_MAX_PARAMS);

    items = ngx_alloc(max * sizeof(ngx_http_defuse_item_t), r->connection->log);
    dec = ngx_alloc(r->args.len + blen + 1, r->connection->log);
    if (items == NULL || dec == NULL) {
        ngx_free(items);
        ngx_free(dec);
        return;
    }

    n = 0;
    d = dec;
    trunc = ngx_http_defuse_parse_form(r->args.data, r->args.len, items, &n, max, &d, qclean);
    if (body && !trunc) {
        trunc = boundary
                ? ngx_http_defuse_parse_multipart(body, blen, boundary, items, &n, max)
                : ngx_http_defuse_parse_form(body, blen, items, &n, max, &d, 0);
    }
    if (trunc) {
        sc->ctx->partial = 1;
        sc->part.data = (u_char *) "args";
        sc->part.len = 4;
        ngx_str_null(&sc->part_name);
        ngx_http_defuse_log_partial(sc, "params_limit", 0, (off_t) n, (off_t) n);
    }

    if (ignore) {
        for (i = 0, k = 0; i < n; i++) {
            if (ngx_http_defuse_name_in(ignore, &items[i].name, 0)) {
                continue;
            }
            /* (multipart fields have no raw text: the body is scanned
             * whole) */
            ngx_http_defuse_scan_part(sc, "args:", &items[i].name, items[i].raw.data,
                                      items[i].raw.len, 0);
            items[k++] = items[i];
        }
        n = k;
    }

    ngx_http_defuse_scan_joins(sc, items, n, 0, "args:", ",");
    ngx_free(items);
    ngx_free(dec);
}

/* The body is longer than defuse_body_limit: the request is marked
 * partially scanned, and refused with 413 under defuse_body_overflow
 * block (unless a finding already refused it). */
static void
ngx_http_defuse_overflow(ngx_http_defuse_scan_t *sc, const char *event, off_t all,
    off_t scanned)
{
    ngx_http_defuse_ctx_t *ctx = sc->ctx;
    ngx_uint_t block;

    block = sc->conf->body_overflow == NGX_HTTP_DEFUSE_OVERFLOW_BLOCK
            && ctx->verdict != NGX_HTTP_DEFUSE_BLOCK;
    ctx->partial = 1;

    ngx_log_error(NGX_LOG_WARN, sc->r->connection->log, 0,
                  "defuse: %s a body past defuse_body_limit (%s: %O bytes, "
                  "%O scanned)", block ? "refused" : "passed", event, all, scanned);

    sc->part.data = (u_char *) "body";
    sc->part.len = 4;
    ngx_str_null(&sc->part_name);
    ngx_http_defuse_log_partial(sc, event, block, all, scanned);

    if (block) {
        ctx->verdict = NGX_HTTP_DEFUSE_BLOCK;
        ctx->status = NGX_HTTP_DEFUSE_OVERFLOW_STATUS;
        sc->stop = 1;
    }
}

/* The value of request header `name` (the first), or an empty string. */
static ngx_str_t
ngx_http_defuse_header_value(ngx_http_request_t *r, const char *name)
{
    ngx_list_part_t *part;
    ngx_table_elt_t *h;
    ngx_uint_t i;
    ngx_str_t none = ngx_null_string;
    size_t len = ngx_strlen(name);

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;
        for (i = 0; i < part->nelts; i++) {
            if (h[i].key.len == len
                && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
            {
                return h[i].value;
            }
        }
    }
    return none;
}

/* Whether s holds lit, any case. */
static ngx_uint_t
ngx_http_defuse_has(ngx_str_t *s, const char *lit)
{
    size_t k = ngx_strlen(lit), i;

    for (i = 0; k <= s->len && i + k <= s->len; i++) {
        if (ngx_strncasecmp(s->data + i, (u_char *) lit, k) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The charset parameter of a Content-Type value (quotes removed), or an
 * empty string. */
static ngx_str_t
ngx_http_defuse_charset_param(ngx_str_t *ct)
{
    ngx_str_t v = ngx_null_string;
    u_char *p, *end = ct->data + ct->len;
    size_t i;

    for (i = 0; i + 8 <= ct->len; i++) {
        if (ngx_strncasecmp(ct->data + i, (u_char *) "charset=", 8) == 0) {
            p = ct->data + i + 8;
            if (p < end && *p == '"') {
                p++;
            }
            v.data = p;
            while (p < end && *p != ';' && *p != ',' && *p != ' ' && *p != '"') {
                p++;
            }
            v.len = (size_t) (p - v.data);
            break;
        }
    }
    return v;
}

/*
 * Inflates a Content-Encoding gzip/deflate body with zlib: gzip and zlib
 * streams are told apart by their headers (what Java's GZIPInputStream and
 * InflaterInputStream read), a raw deflate stream is tried when neither
 * fits, and concatenated gzip members are read on as GZIPInputStream does.
 * Output: at most min(limit, max(len * MAX_RATIO, INFLATE_FLOOR)) bytes in
 * an ngx_alloc'd buffer; *over is set when there was more.  NULL when the
 * body is not compressed data (or ENOMEM).
 */
static u_char *
ngx_http_defuse_inflate(ngx_http_request_t *r, const u_char *in, size_t len, size_t limit,
    size_t *out_len, ngx_uint_t *over)
{
    z_stream zs;
    u_char *buf;
    size_t cap;
    int rc = Z_OK, bits;

    *over = 0;
    cap = len > limit / NGX_HTTP_DEFUSE_MAX_RATIO ? limit : len * NGX_HTTP_DEFUSE_MAX_RATIO;
    cap = ngx_min(ngx_max(cap, NGX_HTTP_DEFUSE_INFLATE_FLOOR), limit);
    buf = ngx_alloc(cap, r->connection->log);
    if (buf == NULL) {
        return NULL;
    }

    for (bits = 15 + 32; /* void */; bits = -15) {
        ngx_memzero(&zs, sizeof(z_stream));
        if (inflateInit2(&zs, bits) != Z_OK) {
            ngx_free(buf);
            return NULL;
        }
        zs.next_in = (Bytef *) in;
        zs.avail_in = (uInt) ngx_min(len, (size_t) UINT_MAX);
        zs.next_out = buf;
        zs.avail_out = (uInt) cap;
        for ( ;; ) {
            rc = inflate(&zs, Z_NO_FLUSH);
            if (rc == Z_STREAM_END && zs.avail_in > 0 && zs.avail_out > 0 && bits > 0) {
                /* another gzip member */
                if (inflateReset(&zs) != Z_OK) {
                    break;
                }
                continue;
            }
            if (rc != Z_OK || zs.avail_out == 0 || zs.avail_in == 0) {
                break;
            }
        }
        *out_len = cap - zs.avail_out;
        *over = zs.avail_out == 0 && rc != Z_STREAM_END;
        inflateEnd(&zs);
        if (*out_len > 0 || rc == Z_STREAM_END || bits < 0) {
            break;
        }
    }

    if (*out_len == 0 && rc != Z_STREAM_END) {
        ngx_free(buf);
        return NULL;
    }
    return buf;
}

/*
 * The body as the application decodes it before it logs: inflated
 * (Content-Encoding gzip, x-gzip, deflate), then in UTF-8 (a declared
 * UTF-16/32 charset, a BOM, or JSON's RFC 4627 auto-detection:
 * defuse_charset_detect()), then for XML (a Content-Type naming xml, or a
 * body starting "<?xml") its DOM text content (defuse_xml_text()).  Each
 * step that changed the text is scanned as part "body:<step>".  Returns
 * the event name when inflating or the XML text stopped at a bound
 * ("inflate_limit", "xml_limit"; the caller handles it as a body past the
 * limit: what lies past the bound was not scanned, and an entity bomb
 * small enough for the JDK's limits but past ours could hide a split
 * payload behind it), else NULL.
 */
static const char *
ngx_http_defuse_scan_decoded(ngx_http_defuse_scan_t *sc, const u_char *buf, size_t n)
{
    ngx_http_request_t *r = sc->r;
    ngx_str_t ce, ct, hint, name;
    u_char *inflated = NULL, *wide = NULL, *xml = NULL;
    const u_char *text = buf;
    const char *event = NULL;
    size_t tlen = n, skip, cap, xlen;
    ngx_uint_t over = 0;
    defuse_charset cs;
    int cut;

    ce = ngx_http_defuse_header_value(r, "Content-Encoding");
    if (ce.len && (ngx_http_defuse_has(&ce, "gzip") || ngx_http_defuse_has(&ce, "deflate"))) {
        inflated = ngx_http_defuse_inflate(r, buf, n, sc->conf->body_limit, &tlen, &over);
        if (over) {
            event = "inflate_limit";
        }
        if (inflated) {
            text = inflated;
            ngx_str_set(&name, "inflated");
            ngx_http_defuse_scan_part(sc, "body:", &name, text, tlen, 0);
        } else {
            tlen = n;
        }
    }

    ct = r->headers_in.content_type ? r->headers_in.content_type->value
                                    : (ngx_str_t) ngx_null_string;
    hint = ngx_http_defuse_charset_param(&ct);
    cs = defuse_charset_detect((const char *) text, tlen, (const char *) hint.data, hint.len,
                               &skip);
    if (cs != DEFUSE_CHARSET_UTF8 && !sc->stop) {
        cap = (tlen - skip) * 2 + 4;   /* defuse_charset_to_utf8()'s worst case */
        wide = ngx_alloc(cap, r->connection->log);
        if (wide) {
            tlen = defuse_charset_to_utf8(cs, (const char *) text + skip, tlen - skip,
                                          (char *) wide, cap);
            text = wide;
            name.data = (u_char *) defuse_charset_name(cs);
            name.len = ngx_strlen(name.data);
            ngx_http_defuse_scan_part(sc, "body:", &name, text, tlen, 0);
        }
    } else {
        text += skip;
        tlen -= skip;
    }

    if (!sc->stop && tlen > 0
        && (ngx_http_defuse_has(&ct, "xml")
            || (tlen >= 5 && ngx_strncmp(text, "<?xml", 5) == 0))
        && (memchr(text, '<', tlen) || memchr(text, '&', tlen)))
    {
        /* Without entities the text and the attribute values (each after
         * a newline, one per at least 3 bytes of `a=""`) take at most
         * 2 * tlen bytes: such a document always fits; entities may grow
         * it to max(2 * tlen, defuse_body_limit) + 64 KiB.  tlen is at most
         * 2 * defuse_body_limit (EBCDIC): no overflow. */
        cap = ngx_min(tlen * NGX_HTTP_DEFUSE_XML_GROWTH + NGX_HTTP_DEFUSE_INFLATE_FLOOR,
                      ngx_max(2 * tlen, sc->conf->body_limit) + NGX_HTTP_DEFUSE_INFLATE_FLOOR);
        xml = ngx_alloc(cap, r->connection->log);
        if (xml) {
            xlen = defuse_xml_text((const char *) text, tlen, (char *) xml, cap, &cut);
            ngx_str_set(&name, "xml");
            ngx_http_defuse_scan_part(sc, "body:", &name, xml, xlen, 0);
            if (cut && event == NULL) {
                event = "xml_limit";
            }
        }
    }

    ngx_free(inflated);
    ngx_free(wide);
    ngx_free(xml);
    return event;
}

/* Scans the first body_limit bytes of the read body, from memory buffers
 * and the temp file alike, then (main request) the parameters. */
static void
ngx_http_defuse_scan_body(ngx_http_defuse_scan_t *sc)
{
    ngx_http_request_t *r = sc->r;
    ngx_http_request_body_t *rb = r->request_body;
    ngx_chain_t *cl;
    ngx_buf_t *b;
    size_t total, n, limit = sc->conf->body_limit;
    off_t all = 0;
    ssize_t got;
    u_char *buf;
    ngx_uint_t form, owned;
    const char *event;
    ngx_str_t boundary;

    if (rb == NULL || rb->bufs == NULL || sc->stop) {
        ngx_http_defuse_scan_params(sc, NULL, 0, NULL);
        return;
    }

    for (cl = rb->bufs; cl; cl = cl->next) {
        b = cl->buf;
        all += b->in_file ? b->file_last - b->file_pos : (off_t) (b->last - b->pos);
    }
    total = (size_t) ngx_min(all, (off_t) limit);

    if (total == 0) {
        ngx_http_defuse_scan_params(sc, NULL, 0, NULL);
        return;
    }

    /* One in-memory buffer: scan it in place.  Otherwise gather into one
     * temporary (freed right after the scan, not kept in the pool for the
     * rest of the request). */
    b = rb->bufs->buf;
    owned = 0;
    if (!b->in_file && (size_t) (b->last - b->pos) >= total) {
        buf = b->pos;
        n = total;
    } else {
        buf = ngx_alloc(total, r->connection->log);
        if (buf == NULL) {
            return;
        }
        owned = 1;
        n = 0;
        for (cl = rb->bufs; cl && n < total; cl = cl->next) {
            b = cl->buf;
            if (b->in_file) {
                size_t want = ngx_min((size_t) (b->file_last - b->file_pos), total - n);
                got = ngx_read_file(b->file, buf + n, want, b->file_pos);
                if (got < 0) {
                    break;
                }
                n += (size_t) got;
                if ((size_t) got < want) {
                    break;
                }
            } else {
                size_t want = ngx_min((size_t) (b->last - b->pos), total - n);
                ngx_memcpy(buf + n, b->pos, want);
                n += want;
            }
        }
    }

    form = ngx_http_defuse_is_form(r);
    if (!(form && sc->conf->ignore_args && r == r->main)) {
        ngx_http_defuse_scan_part(sc, "body", NULL, buf, n, 0);
    }
    event = sc->stop ? NULL : ngx_http_defuse_scan_decoded(sc, buf, n);
    boundary = ngx_http_defuse_boundary(r);
    if (form) {
        ngx_http_defuse_scan_params(sc, buf, n, NULL);
    } else if (boundary.len) {
        ngx_http_defuse_scan_params(sc, buf, n, &boundary);
    } else {
        ngx_http_defuse_scan_params(sc, NULL, 0, NULL);
    }

    if (owned) {
        ngx_free(buf);
    }

    if (all > (off_t) limit && !sc->stop) {
        ngx_http_defuse_overflow(sc, "body_limit", all, (off_t) n);
    } else if (event && !sc->stop) {
        ngx_http_defuse_overflow(sc, event, all, (off_t) n);
    }
}

/* Whether the main request has a body to read. */
static ngx_uint_t
ngx_http_defuse_has_body(ngx_http_request_t *r)
{
    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        return 1;
    }
#if (NGX_HTTP_V2)
    /* An HTTP/2 body without content-length: DATA frames still to come. */
    if (r->stream && !r->stream->in_closed && r->headers_in.content_length_n < 0) {
        return 1;
    }
#endif
    return 0;
}

static void
ngx_http_defuse_scan_init(ngx_http_defuse_scan_t *sc, ngx_http_request_t *r,
    ngx_http_defuse_ctx_t *ctx, ngx_http_defuse_loc_conf_t *lcf)
{
    ngx_memzero(sc, sizeof(*sc));
    sc->r = r;
    sc->ctx = ctx;
    sc->conf = lcf;
}

/* The phase handler's answer once everything is scanned. */
static ngx_int_t
ngx_http_defuse_decide(ngx_http_defuse_ctx_t *ctx, ngx_http_defuse_loc_conf_t *lcf)
{
    ctx->state = NGX_HTTP_DEFUSE_DONE;
    if (ctx->verdict != NGX_HTTP_DEFUSE_BLOCK) {
        return NGX_DECLINED;
    }
    return ctx->status ? ctx->status : lcf->status;
}

/* ------------------------------------------------------------------------ */
/* Phase handler                                                             */
/* ------------------------------------------------------------------------ */

static ngx_int_t
ngx_http_defuse_handler(ngx_http_request_t *r)
{
    ngx_int_t rc;
    ngx_http_defuse_ctx_t *ctx, *mctx;
    ngx_http_defuse_loc_conf_t *lcf;
    ngx_http_defuse_scan_t sc;

    ctx = ngx_http_defuse_get_ctx(r);
    if (ctx) {
        if (ctx->state == NGX_HTTP_DEFUSE_READING_BODY) {
            return NGX_DONE;
        }
        /* Re-entered after the body was read, or after an internal
         * redirect (error_page of a blocked request): answer once. */
        rc = ctx->rc;
        ctx->rc = NGX_DECLINED;
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_defuse_module);
    if (!lcf->enable) {
        return NGX_DECLINED;
    }

    /* defuse_allow: trusted clients are not inspected ($defuse_verdict
     * stays empty). */
    if (lcf->allow && ngx_cidr_match(r->connection->sockaddr, lcf->allow) == NGX_OK) {
        return NGX_DECLINED;
    }

    if (ngx_http_defuse_scanner == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "defuse: no scanner");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_http_defuse_create_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_defuse_scan_init(&sc, r, ctx, lcf);
    ngx_http_defuse_check_head(&sc);
    ngx_http_defuse_scan_line(&sc);

    /* Headers and body are shared with the main request: a subrequest of
     * an inspected main request only adds its own URI and arguments. */
    mctx = NULL;
    if (r != r->main) {
        mctx = ngx_http_defuse_get_ctx(r->main);
        if (mctx && mctx->state != NGX_HTTP_DEFUSE_DONE) {
            mctx = NULL;
        }
    }

    if (mctx == NULL) {
        ngx_http_defuse_scan_headers(&sc);
    }

    if (sc.stop) {
        return ngx_http_defuse_decide(ctx, lcf);
    }

    if (lcf->body && r == r->main && ngx_http_defuse_has_body(r)) {
        ctx->state = NGX_HTTP_DEFUSE_READING_BODY;

        rc = ngx_http_read_client_request_body(r, ngx_http_defuse_body_handler);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        ngx_http_finalize_request(r, NGX_DONE);
        return NGX_DONE;
    }

    if (lcf->body && mctx == NULL && r != r->main) {
        ngx_http_defuse_scan_body(&sc);
    }

    /* No body read: the query's parameters alone. */
    ngx_http_defuse_scan_params(&sc, NULL, 0, NULL);

    return ngx_http_defuse_decide(ctx, lcf);
}

static void
ngx_http_defuse_body_handler(ngx_http_request_t *r)
{
    ngx_http_defuse_ctx_t *ctx;
    ngx_http_defuse_loc_conf_t *lcf;
    ngx_http_defuse_scan_t sc;

    ctx = ngx_http_defuse_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_defuse_module);

    ngx_http_defuse_scan_init(&sc, r, ctx, lcf);
    ngx_http_defuse_scan_body(&sc);
    ctx->rc = ngx_http_defuse_decide(ctx, lcf);

    r->preserve_body = 1;
    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}

/* ------------------------------------------------------------------------ */
/* Variables                                                                 */
/* ------------------------------------------------------------------------ */

static ngx_int_t
ngx_http_defuse_verdict_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_defuse_ctx_t *ctx;

    ctx = ngx_http_defuse_get_ctx(r);
    if (ctx == NULL || ctx->state != NGX_HTTP_DEFUSE_DONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ngx_http_defuse_verdict_names[ctx->verdict + (ctx->partial ? 3 : 0)].data;
    v->len = ngx_http_defuse_verdict_names[ctx->verdict + (ctx->partial ? 3 : 0)].len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}

static ngx_int_t
ngx_http_defuse_callback_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_defuse_ctx_t *ctx;

    ctx = ngx_http_defuse_get_ctx(r);
    if (ctx == NULL || ctx->callback.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ctx->callback.data;
    v->len = ctx->callback.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
