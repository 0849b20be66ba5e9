/*
 * sbom_cyclonedx.c -- CycloneDX 1.2-1.6 readers: JSON with jansson, XML
 * with libxml2.  Nested components (components[].components[]) are
 * flattened depth-first, each naming its enclosing component's bom-ref
 * (or, without one, its name) as parent; nesting deeper than
 * SBOM_MAX_DEPTH is refused.  metadata.component (the thing the BOM
 * describes) becomes doc->subject, not a component.
 */
#include "sbom_impl.h"

#include <dlfcn.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- libxml2, opened by the first XML document ---------------------------------- */

/* libxml2 is opened with dlopen(), not linked: every `defuse register`
 * (and defuse-scan) would otherwise load it and ICU at start, 3.5 ms of
 * each command, for the rare CycloneDX XML input (as store_pg.c does for
 * libpq).  xmlFree is a variable holding the function (unless libxml2 was
 * built with per-thread allocators, which Debian's is not). */
#ifdef LIBXML_THREAD_ALLOC_ENABLED
#error "libxml2 with LIBXML_THREAD_ALLOC_ENABLED: xmlFree is __xmlFree(), not a variable"
#endif
#define XML_SONAME "libxml2.so.2"
#define XML_FUNCS(X) X(xmlGetLineNo) X(xmlGetProp) X(xmlNewParserCtxt) X(xmlCtxtReadMemory) X(xmlDocGetRootElement) X(xmlFreeDoc) X(xmlFreeParserCtxt)
static struct xml_api {
#define XML_FIELD(f) __typeof__(f) *f;
    XML_FUNCS(XML_FIELD)
#undef XML_FIELD
} xml;

static const struct xml_sym {
    const char *name;
    size_t off;
} xml_syms[] = {
#define XML_SYM(f) {#f, offsetof(struct xml_api, f)},
    XML_FUNCS(XML_SYM)
#undef XML_SYM
};

static xmlFreeFunc *xml_freep; /* the library's variable xmlFree */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static char xml_err[300]; /* empty: xml is usable */

static void xml_load(void) {
    void *h = dlopen(XML_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(xml_err, sizeof xml_err, "%s (Debian package libxml2)", e ? e : "dlopen failed");
        return;
    }
    for (size_t i = 0; i < sizeof xml_syms / sizeof xml_syms[0]; i++) {
        void *f = dlsym(h, xml_syms[i].name);
        if (!f) {
            snprintf(xml_err, sizeof xml_err, "%s: no symbol %s", XML_SONAME, xml_syms[i].name);
            return;
        }
        /* POSIX: a function's address round-trips through void *. */
        memcpy((char *)&xml + xml_syms[i].off, &f, sizeof f);
    }
    if (!(xml_freep = dlsym(h, "xmlFree")))
        snprintf(xml_err, sizeof xml_err, "%s: no symbol xmlFree", XML_SONAME);
}

static void xml_free(void *p) {
    (*xml_freep)(p);
}

/* ---- JSON ------------------------------------------------------------- */

/* Optional string member: absent/null -> 0 with *dst NULL; non-string -> -1. */
static int jstr(sbom_ctx *c, json_t *o, const char *key, char **dst, const char *where) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return sbom_fail(c, 0, 0, "%s.%s: not a string", where, key);
    if (sbom_set(dst, json_string_value(v), json_string_length(v)) != 0)
        return sbom_fail(c, 0, 0, "out of memory");
    return 0;
}

/* Parent label of a component: its bom-ref, else its name. */
static const char *label(const sbom_component *x) { return x->ref ? x->ref : x->name; }

static int cdx_json_list(sbom_ctx *c, json_t *arr, const char *parent, unsigned depth,
                         const char *where);

static int cdx_json_one(sbom_ctx *c, json_t *o, const char *parent, unsigned depth,
                        const char *where) {
    if (!json_is_object(o))
        return sbom_fail(c, 0, 0, "%s: a component is not an object", where);
    sbom_component *x = sbom_add(c, 0);
    if (!x)
        return -1;
    size_t idx = c->doc->ncomponents - 1;
    json_t *nm = json_object_get(o, "name");
    if (json_is_string(nm) && json_string_length(nm) > 0 &&
        !(x->name = sbom_dupn(json_string_value(nm), json_string_length(nm))))
        return sbom_fail(c, 0, 0, "out of memory");
    if (nm && !json_is_null(nm) && !json_is_string(nm))
        return sbom_fail(c, 0, 0, "%s.name: not a string", where);
    if (jstr(c, o, "group", &x->group, where) ||
        jstr(c, o, "version", &x->version, where) || jstr(c, o, "purl", &x->purl, where) ||
        jstr(c, o, "cpe", &x->cpe, where) || jstr(c, o, "bom-ref", &x->ref, where) ||
        jstr(c, o, "publisher", &x->supplier, where))
        return -1;
    if (!x->name)
        return sbom_fail(c, 0, 0, "%s: component without a name", where);
    json_t *sup = json_object_get(o, "supplier");
    if (json_is_object(sup)) {
        char *s = NULL;
        if (jstr(c, sup, "name", &s, where))
            return -1;
        if (s) {
            free(x->supplier);
            x->supplier = s;
        }
    }
    if (parent && !(x->parent = sbom_dupz(parent)))
        return sbom_fail(c, 0, 0, "out of memory");
    json_t *kids = json_object_get(o, "components");
    if (!kids || json_is_null(kids))
        return 0;
    if (depth + 1 >= SBOM_MAX_DEPTH)
        return sbom_fail(c, 0, 0, "%s: components nested deeper than %u", where, SBOM_MAX_DEPTH);
    /* sbom_add may move the array: copy the label before recursing. */
    char *me = sbom_dupz(label(&c->doc->components[idx]));
    if (!me)
        return sbom_fail(c, 0, 0, "out of memory");
    char sub[96];
    snprintf(sub, sizeof sub, "%.60s%s", where, depth < 3 ? ".components" : "...");
    int rc = cdx_json_list(c, kids, me, depth + 1, sub);
    free(me);
    return rc;
}

static int cdx_json_list(sbom_ctx *c, json_t *arr, const char *parent, unsigned depth,
                         const char *where) {
    if (!json_is_array(arr))
        return sbom_fail(c, 0, 0, "%s: not an array", where);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        char w[128];
        snprintf(w, sizeof w, "%.90s[%zu]", where, i);
        if (cdx_json_one(c, o, parent, depth, w) != 0)
            return -1;
    }
    return 0;
}

int sbom_read_cdx_json(sbom_ctx *c, const char *buf, size_t len) {
    json_error_t je;
    /* No JSON_ALLOW_NUL: a NUL inside a string is an error.  jansson bounds
     * nesting itself (JSON_PARSER_MAX_DEPTH) and reports line and column. */
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return sbom_fail(c, je.line > 0 ? (unsigned long)je.line : 0,
                         je.column > 0 ? (unsigned long)je.column : 0, "%s", je.text);
    int rc = -1;
    sbom_doc *d = c->doc;
    if (!json_is_object(root)) {
        sbom_fail(c, 1, 1, "not a JSON object");
        goto out;
    }
    json_t *bf = json_object_get(root, "bomFormat");
    if (!json_is_string(bf) || strcmp(json_string_value(bf), "CycloneDX") != 0) {
        sbom_fail(c, 0, 0, "bomFormat: not \"CycloneDX\"");
        goto out;
    }
    if (jstr(c, root, "specVersion", &d->spec_version, "$") ||
        jstr(c, root, "serialNumber", &d->serial, "$"))
        goto out;
    json_t *md = json_object_get(root, "metadata");
    if (md && !json_is_object(md) && !json_is_null(md)) {
        sbom_fail(c, 0, 0, "metadata: not an object");
        goto out;
    }
    if (json_is_object(md)) {
        if (jstr(c, md, "timestamp", &d->created, "metadata"))
            goto out;
        json_t *mc = json_object_get(md, "component");
        if (json_is_object(mc) && jstr(c, mc, "name", &d->subject, "metadata.component"))
            goto out;
    }
    json_t *comps = json_object_get(root, "components");
    if (comps && !json_is_null(comps) && cdx_json_list(c, comps, NULL, 0, "components") != 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- XML -------------------------------------------------------------- */

#define CDX_NS "http://cyclonedx.org/schema/bom/"

static bool is_el(const xmlNode *n, const char *name) {
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) && n->ns &&
           n->ns->href && !strncmp((const char *)n->ns->href, CDX_NS, strlen(CDX_NS));
}

/* The text of an element: its text and CDATA children only (entity
 * references are never expanded: the parser runs without XML_PARSE_NOENT
 * and documents with a DTD are refused).  Trimmed; NULL when empty. */
static int xtext_as(sbom_ctx *c, const xmlNode *el, char **dst, bool raw) {
    size_t n = 0;
    for (const xmlNode *k = el->children; k; k = k->next)
        if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && k->content)
            n += strlen((const char *)k->content);
    char *s = malloc(n + 1);
    if (!s)
        return sbom_fail(c, 0, 0, "out of memory");
    size_t o = 0;
    for (const xmlNode *k = el->children; k; k = k->next)
        if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && k->content) {
            size_t l = strlen((const char *)k->content);
            memcpy(s + o, k->content, l);
            o += l;
        }
    s[o] = '\0';
    const char *b = s, *e = s + o;
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    int rc = 0;
    if (raw) { /* a name: kept as written, even "NONE" */
        free(*dst);
        *dst = e > b ? sbom_dupn(b, (size_t)(e - b)) : NULL;
        rc = e > b && !*dst ? -1 : 0;
    } else {
        rc = sbom_set(dst, b, (size_t)(e - b));
    }
    free(s);
    return rc ? sbom_fail(c, 0, 0, "out of memory") : 0;
}

static int xtext(sbom_ctx *c, const xmlNode *el, char **dst) { return xtext_as(c, el, dst, false); }

static int cdx_xml_list(sbom_ctx *c, const xmlNode *list, const char *parent, unsigned depth);

/* Simple child elements of <component> and where each goes. */
typedef struct xfield {
    const char *el;
    size_t off;
} xfield;
/* XFIELDS[0] is the name, kept as written (see cdx_xml_one). */
static const xfield XFIELDS[] = {
    {"name", offsetof(sbom_component, name)},       {"group", offsetof(sbom_component, group)},
    {"version", offsetof(sbom_component, version)}, {"purl", offsetof(sbom_component, purl)},
    {"cpe", offsetof(sbom_component, cpe)},
};

static int cdx_xml_one(sbom_ctx *c, const xmlNode *el, const char *parent, unsigned depth) {
    long ln = xml.xmlGetLineNo(el);
    uint32_t line = ln > 0 && ln < (long)UINT32_MAX ? (uint32_t)ln : 0;
    sbom_component *x = sbom_add(c, line);
    if (!x)
        return -1;
    size_t idx = c->doc->ncomponents - 1;
    xmlChar *ref = xml.xmlGetProp(el, (const xmlChar *)"bom-ref");
    if (ref) {
        int rc = sbom_set(&x->ref, (const char *)ref, strlen((const char *)ref));
        xml_free(ref);
        if (rc)
            return sbom_fail(c, line, 0, "out of memory");
    }
    if (parent && !(x->parent = sbom_dupz(parent)))
        return sbom_fail(c, line, 0, "out of memory");
    const xmlNode *kids = NULL;
    char *publisher = NULL;
    for (const xmlNode *k = el->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        x = &c->doc->components[idx];
        for (size_t i = 0; i < sizeof XFIELDS / sizeof XFIELDS[0]; i++)
            if (is_el(k, XFIELDS[i].el) &&
                xtext_as(c, k, (char **)((char *)x + XFIELDS[i].off), i == 0) != 0) {
                free(publisher);
                return -1;
            }
        if (is_el(k, "publisher") && xtext(c, k, &publisher) != 0)
            return -1;
        if (is_el(k, "supplier"))
            for (const xmlNode *s = k->children; s; s = s->next)
                if (is_el(s, "name") && xtext(c, s, &x->supplier) != 0) {
                    free(publisher);
                    return -1;
                }
        if (is_el(k, "components"))
            kids = k;
    }
    x = &c->doc->components[idx];
    if (!x->supplier)
        x->supplier = publisher;
    else
        free(publisher);
    if (!x->name)
        return sbom_fail(c, line, 0, "component without a <name>");
    if (!kids)
        return 0;
    if (depth + 1 >= SBOM_MAX_DEPTH)
        return sbom_fail(c, line, 0, "components nested deeper than %u", SBOM_MAX_DEPTH);
    char *me = sbom_dupz(label(x));
    if (!me)
        return sbom_fail(c, line, 0, "out of memory");
    int rc = cdx_xml_list(c, kids, me, depth + 1);
    free(me);
    return rc;
}

static int cdx_xml_list(sbom_ctx *c, const xmlNode *list, const char *parent, unsigned depth) {
    for (const xmlNode *k = list->children; k; k = k->next)
        if (is_el(k, "component") && cdx_xml_one(c, k, parent, depth) != 0)
            return -1;
    return 0;
}

/* The first error libxml2 reports (later ones are consequences of it). */
typedef struct xfirst {
    bool set;
    int line, col;
    char msg[160];
} xfirst;

static void xml_first_error(void *user, xmlErrorPtr e) {
    xmlParserCtxtPtr px = user;
    xfirst *f = px ? px->_private : NULL;
    if (!f || f->set || !e || e->level < XML_ERR_ERROR)
        return;
    f->set = true;
    f->line = e->line;
    f->col = e->int2;
    size_t ml = e->message ? strlen(e->message) : 0;
    while (ml && (e->message[ml - 1] == '\n' || e->message[ml - 1] == ' '))
        ml--;
    snprintf(f->msg, sizeof f->msg, "%.*s", (int)ml, e->message ? e->message : "");
}

int sbom_read_cdx_xml(sbom_ctx *c, const char *buf, size_t len) {
    if (len > (size_t)INT32_MAX)
        return sbom_fail(c, 0, 0, "document too large");
    pthread_once(&xml_once, xml_load);
    if (*xml_err)
        return sbom_fail(c, 0, 0, "CycloneDX XML: cannot load %s", xml_err);
    xmlParserCtxtPtr px = xml.xmlNewParserCtxt();
    if (!px)
        return sbom_fail(c, 0, 0, "out of memory");
    /* NONET: never fetch anything.  Not NOENT (no entity substitution), not
     * DTDLOAD/DTDATTR/DTDVALID (no external DTD), not HUGE (libxml2 keeps
     * its depth and size limits).  NOERROR/NOWARNING: never print; the
     * first error is kept by xml_first_error. */
    xfirst first = {0};
    px->_private = &first;
    px->sax->serror = xml_first_error;
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
               XML_PARSE_BIG_LINES; /* lines past 65535 reported as they are */
    xmlDocPtr doc = xml.xmlCtxtReadMemory(px, buf, (int)len, NULL, NULL, opts);
    int rc = -1;
    if (!doc || !px->wellFormed) {
        if (first.set) {
            sbom_fail(c, first.line > 0 ? (unsigned long)first.line : 0,
                      first.col > 0 ? (unsigned long)first.col : 0, "%s", first.msg);
        } else {
            sbom_fail(c, 0, 0, "not well-formed XML");
        }
        goto out;
    }
    if (doc->intSubset || doc->extSubset) {
        /* libxml2 keeps no line for the DTD: find "<!DOCTYPE" ourselves. */
        unsigned long dl = 0, dc = 0;
        const char *dt = memmem(buf, len, "<!DOCTYPE", 9);
        if (dt) {
            dl = 1;
            const char *ls = buf;
            for (const char *q = buf; q < dt; q++)
                if (*q == '\n')
                    dl++, ls = q + 1;
            dc = (unsigned long)(dt - ls) + 1;
        }
        sbom_fail(c, dl, dc, "a DTD is not allowed in a CycloneDX document");
        goto out;
    }
    const xmlNode *root = xml.xmlDocGetRootElement(doc);
    if (!root || !is_el(root, "bom")) {
        sbom_fail(c, root ? (unsigned long)xml.xmlGetLineNo(root) : 0, 0,
                  "root element is not a CycloneDX <bom>");
        goto out;
    }
    sbom_doc *d = c->doc;
    const char *href = (const char *)root->ns->href + strlen(CDX_NS);
    if (sbom_set(&d->spec_version, href, strlen(href)) != 0) {
        sbom_fail(c, 0, 0, "out of memory");
        goto out;
    }
    xmlChar *serial = xml.xmlGetProp(root, (const xmlChar *)"serialNumber");
    if (serial) {
        int r = sbom_set(&d->serial, (const char *)serial, strlen((const char *)serial));
        xml_free(serial);
        if (r) {
            sbom_fail(c, 0, 0, "out of memory");
            goto out;
        }
    }
    for (const xmlNode *k = root->children; k; k = k->next) {
        if (is_el(k, "metadata")) {
            for (const xmlNode *m = k->children; m; m = m->next) {
                if (is_el(m, "timestamp") && xtext(c, m, &d->created) != 0)
                    goto out;
                if (is_el(m, "component"))
                    for (const xmlNode *n = m->children; n; n = n->next)
                        if (is_el(n, "name") && xtext(c, n, &d->subject) != 0)
                            goto out;
            }
        } else if (is_el(k, "components") && cdx_xml_list(c, k, NULL, 0) != 0) {
            goto out;
        }
    }
    rc = 0;
out:
    if (doc)
        xml.xmlFreeDoc(doc);
    xml.xmlFreeParserCtxt(px);
    return rc;
}
