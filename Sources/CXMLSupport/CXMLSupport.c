// HTML form extraction and XML Schema validation with libxml2, answered as JSON so that the
// Swift side never sees a libxml2 type.
#include "CXMLSupport.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

// MARK: - One-time initialisation

static pthread_once_t oap_init_once = PTHREAD_ONCE_INIT;
static void oap_init(void) { xmlInitParser(); }
static void oap_ensure_init(void) { pthread_once(&oap_init_once, oap_init); }

// MARK: - Growable buffer and JSON writing

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} oap_buf;

static void buf_reserve(oap_buf *b, size_t extra) {
    if (b->failed) return;
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) { b->failed = true; return; }
    b->data = p;
    b->cap = cap;
}

static void buf_append(oap_buf *b, const char *s, size_t n) {
    buf_reserve(b, n);
    if (b->failed) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(oap_buf *b, const char *s) { buf_append(b, s, strlen(s)); }

static char *buf_finish(oap_buf *b) {
    if (b->failed) { free(b->data); return NULL; }
    if (!b->data) buf_append(b, "", 0);
    if (b->failed) { free(b->data); return NULL; }
    return b->data;
}

/// Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0 if invalid.
static size_t utf8_seq_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    unsigned int cp;
    if (c < 0x80) return 1;
    else if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return len;
}

/// Writes a JSON string literal: quotes, backslashes and control characters escaped,
/// non-ASCII kept as UTF-8, invalid UTF-8 bytes replaced by U+FFFD.
static void json_string_n(oap_buf *b, const char *s, size_t n) {
    buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"') { buf_append(b, "\\\"", 2); i++; }
        else if (c == '\\') { buf_append(b, "\\\\", 2); i++; }
        else if (c == '\n') { buf_append(b, "\\n", 2); i++; }
        else if (c == '\r') { buf_append(b, "\\r", 2); i++; }
        else if (c == '\t') { buf_append(b, "\\t", 2); i++; }
        else if (c < 0x20 || c == 0x7F) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_append(b, esc, 6);
            i++;
        } else if (c < 0x80) { buf_append(b, (const char *)p + i, 1); i++; }
        else {
            size_t l = utf8_seq_len(p + i, n - i);
            if (l == 0) { buf_append(b, "\xEF\xBF\xBD", 3); i++; }
            else { buf_append(b, (const char *)p + i, l); i += l; }
        }
    }
    buf_append(b, "\"", 1);
}

static void json_string(oap_buf *b, const char *s) {
    if (!s) { buf_puts(b, "null"); return; }
    json_string_n(b, s, strlen(s));
}

static void json_key(oap_buf *b, const char *key) {
    json_string(b, key);
    buf_append(b, ":", 1);
}

// MARK: - HTML helpers

static bool is_element(xmlNodePtr n, const char *name) {
    return n && n->type == XML_ELEMENT_NODE && n->name &&
           strcasecmp((const char *)n->name, name) == 0;
}

/// Next node in document order (pre-order), staying inside `root`.
static xmlNodePtr next_in_order(xmlNodePtr n, xmlNodePtr root) {
    if (n->children && n->type != XML_ENTITY_REF_NODE) return n->children;
    while (n && n != root) {
        if (n->next) return n->next;
        n = n->parent;
    }
    return NULL;
}

/// Attribute value (malloc'd by libxml2, free with xmlFree) or NULL when absent.
static char *attr(xmlNodePtr n, const char *name) {
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static bool has_attr(xmlNodePtr n, const char *name) {
    return xmlHasProp(n, (const xmlChar *)name) != NULL;
}

static void lowercase(char *s) {
    for (; s && *s; s++) if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

/// Text content with HTML whitespace stripped at both ends and collapsed inside
/// (how browsers read <title>, <option> and button labels). malloc'd; never NULL unless OOM.
static char *collapsed_text(xmlNodePtr n) {
    xmlChar *raw = xmlNodeGetContent(n);
    const char *s = raw ? (const char *)raw : "";
    size_t len = strlen(s);
    char *out = malloc(len + 1);
    if (!out) { if (raw) xmlFree(raw); return NULL; }
    size_t o = 0;
    bool pending_space = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            pending_space = o > 0;
        } else {
            if (pending_space) out[o++] = ' ';
            pending_space = false;
            out[o++] = c;
        }
    }
    out[o] = '\0';
    if (raw) xmlFree(raw);
    return out;
}

/// Raw text content (textarea keeps its whitespace; browsers drop one leading newline,
/// which the HTML parser already does for us or not: we drop it here to match browsers).
static char *textarea_text(xmlNodePtr n) {
    xmlChar *raw = xmlNodeGetContent(n);
    const char *s = raw ? (const char *)raw : "";
    if (s[0] == '\r' && s[1] == '\n') s += 2;
    else if (s[0] == '\n') s += 1;
    char *out = strdup(s);
    if (raw) xmlFree(raw);
    return out;
}

// MARK: - Forms

typedef struct {
    xmlNodePtr *items;
    size_t count;
    size_t cap;
} node_list;

static void list_push(node_list *l, xmlNodePtr n) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        xmlNodePtr *p = realloc(l->items, cap * sizeof *p);
        if (!p) return;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = n;
}

/// The form a control belongs to: the one named by its `form` attribute (HTML5),
/// else the nearest enclosing form.
static xmlNodePtr owner_form(xmlNodePtr control, const node_list *forms) {
    char *ref = attr(control, "form");
    if (ref) {
        xmlNodePtr found = NULL;
        for (size_t i = 0; i < forms->count && !found; i++) {
            char *id = attr(forms->items[i], "id");
            if (id && strcmp(id, ref) == 0) found = forms->items[i];
            if (id) xmlFree(id);
        }
        xmlFree(ref);
        return found;
    }
    for (xmlNodePtr p = control->parent; p; p = p->parent)
        if (is_element(p, "form")) return p;
    return NULL;
}

typedef struct {
    oap_buf fields;
    oap_buf buttons;
    bool first_field;
    bool first_button;
} form_out;

static void emit_field(oap_buf *b, bool *first, const char *name, const char *type,
                       const char *value, bool checked, bool disabled, const char *label, xmlNodePtr input);

static void emit_control(oap_buf *b, bool *first, const char *name, const char *type,
                         const char *value, bool checked, bool disabled, const char *label) {
    emit_field(b, first, name, type, value, checked, disabled, label, NULL);
}

/// A control with the attributes that tell what it is for (`autocomplete`, `inputmode`,
/// `placeholder`) when it is an input.
static void emit_field(oap_buf *b, bool *first, const char *name, const char *type,
                       const char *value, bool checked, bool disabled, const char *label, xmlNodePtr input) {
    if (!*first) buf_append(b, ",", 1);
    *first = false;
    buf_append(b, "{", 1);
    json_key(b, "name"); json_string(b, name ? name : ""); buf_append(b, ",", 1);
    json_key(b, "type"); json_string(b, type ? type : ""); buf_append(b, ",", 1);
    json_key(b, "value"); json_string(b, value ? value : ""); buf_append(b, ",", 1);
    json_key(b, "checked"); buf_puts(b, checked ? "true" : "false"); buf_append(b, ",", 1);
    json_key(b, "disabled"); buf_puts(b, disabled ? "true" : "false"); buf_append(b, ",", 1);
    json_key(b, "label"); json_string(b, label ? label : "");
    static const char *const hints[] = {"autocomplete", "inputmode", "placeholder", "id"};
    for (size_t i = 0; input && i < sizeof hints / sizeof hints[0]; i++) {
        char *hint = attr(input, hints[i]);
        if (!hint) continue;
        buf_append(b, ",", 1);
        json_key(b, hints[i]);
        json_string(b, hint);
        xmlFree(hint);
    }
    buf_append(b, "}", 1);
}

static void emit_input(form_out *out, xmlNodePtr n) {
    char *name = attr(n, "name");
    char *type = attr(n, "type");
    char *value = attr(n, "value");
    lowercase(type);
    const char *t = (type && *type) ? type : "text";
    bool disabled = has_attr(n, "disabled");
    if (strcmp(t, "submit") == 0 || strcmp(t, "image") == 0) {
        emit_control(&out->buttons, &out->first_button, name, t,
                     value ? value : "", false, disabled, value ? value : "");
    } else if (strcmp(t, "button") != 0 && strcmp(t, "reset") != 0) {
        bool checkable = strcmp(t, "checkbox") == 0 || strcmp(t, "radio") == 0;
        // A checkbox or radio without value submits "on", as browsers do.
        const char *v = value ? value : (checkable ? "on" : "");
        emit_field(&out->fields, &out->first_field, name, t, v,
                   checkable && has_attr(n, "checked"), disabled, "", n);
    }
    if (name) xmlFree(name);
    if (type) xmlFree(type);
    if (value) xmlFree(value);
}

static char *option_value(xmlNodePtr opt) {
    char *v = attr(opt, "value");
    if (v) { char *copy = strdup(v); xmlFree(v); return copy; }
    return collapsed_text(opt);
}

static void emit_select(form_out *out, xmlNodePtr n) {
    char *name = attr(n, "name");
    bool multiple = has_attr(n, "multiple");
    bool disabled = has_attr(n, "disabled");
    const char *type = multiple ? "select-multiple" : "select";
    xmlNodePtr first = NULL, last_selected = NULL;
    bool any = false;
    for (xmlNodePtr c = n->children ? n->children : NULL; c; c = next_in_order(c, n)) {
        if (!is_element(c, "option")) continue;
        if (!first) first = c;
        if (has_attr(c, "selected")) {
            last_selected = c;
            if (multiple) {
                char *v = option_value(c);
                char *label = collapsed_text(c);
                emit_control(&out->fields, &out->first_field, name, type, v, true, disabled, label);
                free(v); free(label);
                any = true;
            }
        }
    }
    if (!multiple) {
        // A single select submits its last selected option, or else its first one.
        xmlNodePtr chosen = last_selected ? last_selected : first;
        if (chosen) {
            char *v = option_value(chosen);
            char *label = collapsed_text(chosen);
            emit_control(&out->fields, &out->first_field, name, type, v, last_selected != NULL,
                         disabled, label);
            free(v); free(label);
        } else {
            emit_control(&out->fields, &out->first_field, name, type, "", false, disabled, "");
        }
    }
    (void)any;
    if (name) xmlFree(name);
}

static void emit_button(form_out *out, xmlNodePtr n) {
    char *type = attr(n, "type");
    lowercase(type);
    // <button> defaults to submit; type=button and type=reset never submit the form.
    if (type && *type && strcmp(type, "submit") != 0) { xmlFree(type); return; }
    char *name = attr(n, "name");
    char *value = attr(n, "value");
    char *label = collapsed_text(n);
    emit_control(&out->buttons, &out->first_button, name, "submit", value ? value : "", false,
                 has_attr(n, "disabled"), label);
    if (type) xmlFree(type);
    if (name) xmlFree(name);
    if (value) xmlFree(value);
    free(label);
}

static void emit_textarea(form_out *out, xmlNodePtr n) {
    char *name = attr(n, "name");
    char *text = textarea_text(n);
    emit_control(&out->fields, &out->first_field, name, "textarea", text ? text : "", false,
                 has_attr(n, "disabled"), "");
    free(text);
    if (name) xmlFree(name);
}

static void emit_form(oap_buf *b, xmlNodePtr form, xmlNodePtr root, const node_list *forms) {
    form_out out = { {0}, {0}, true, true };
    buf_puts(&out.fields, "");
    buf_puts(&out.buttons, "");
    for (xmlNodePtr n = root; n; n = next_in_order(n, root)) {
        if (n->type != XML_ELEMENT_NODE) continue;
        bool control = is_element(n, "input") || is_element(n, "select") ||
                       is_element(n, "textarea") || is_element(n, "button");
        if (!control || owner_form(n, forms) != form) continue;
        if (is_element(n, "input")) emit_input(&out, n);
        else if (is_element(n, "select")) emit_select(&out, n);
        else if (is_element(n, "textarea")) emit_textarea(&out, n);
        else emit_button(&out, n);
    }

    char *id = attr(form, "id");
    char *name = attr(form, "name");
    char *action = attr(form, "action");
    char *method = attr(form, "method");
    char *enctype = attr(form, "enctype");
    lowercase(method);
    lowercase(enctype);

    buf_append(b, "{", 1);
    json_key(b, "id"); json_string(b, id); buf_append(b, ",", 1);
    json_key(b, "name"); json_string(b, name); buf_append(b, ",", 1);
    json_key(b, "action"); json_string(b, action ? action : ""); buf_append(b, ",", 1);
    json_key(b, "method"); json_string(b, (method && *method) ? method : "get"); buf_append(b, ",", 1);
    json_key(b, "enctype");
    json_string(b, (enctype && *enctype) ? enctype : "application/x-www-form-urlencoded");
    buf_append(b, ",", 1);
    json_key(b, "fields"); buf_append(b, "[", 1);
    if (out.fields.data) buf_append(b, out.fields.data, out.fields.len);
    buf_append(b, "],", 2);
    json_key(b, "buttons"); buf_append(b, "[", 1);
    if (out.buttons.data) buf_append(b, out.buttons.data, out.buttons.len);
    buf_append(b, "]}", 2);
    if (out.fields.failed || out.buttons.failed) b->failed = true;

    free(out.fields.data);
    free(out.buttons.data);
    if (id) xmlFree(id);
    if (name) xmlFree(name);
    if (action) xmlFree(action);
    if (method) xmlFree(method);
    if (enctype) xmlFree(enctype);
}

static void silent_structured_error(void *ctx, xmlErrorPtr error) { (void)ctx; (void)error; }

/// Whether the first bytes declare a charset (then libxml2 should pick the encoding itself).
/// `"key": [value of attribute `name` of each node]`, followed by a comma.
static void emit_attributes(oap_buf *b, const char *key, const node_list *nodes, const char *name) {
    json_key(b, key);
    buf_append(b, "[", 1);
    for (size_t i = 0; i < nodes->count; i++) {
        if (i) buf_append(b, ",", 1);
        char *value = attr(nodes->items[i], name);
        json_string(b, value ? value : "");
        if (value) xmlFree(value);
    }
    buf_append(b, "],", 2);
}

static bool declares_charset(const char *html, size_t length) {
    size_t n = length < 2048 ? length : 2048;
    const char *needle = "charset";
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(html + i, needle, k) == 0) return true;
    return false;
}

char *oap_html_forms_json(const char *html, size_t length, const char *encoding) {
    oap_ensure_init();
    oap_buf b = {0};
    if (length > (size_t)0x7fffffff) length = 0x7fffffff;
    const char *enc = encoding;
    if (!enc && !declares_charset(html ? html : "", html ? length : 0)) enc = "UTF-8";

    xmlSetStructuredErrorFunc(NULL, silent_structured_error);
    htmlDocPtr doc = NULL;
    if (html && length > 0)
        doc = htmlReadMemory(html, (int)length, NULL, enc,
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                             HTML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);

    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    node_list forms = {0};
    node_list links = {0};    // <a href> and <area href>: where a click sends the browser
    node_list refreshes = {0};  // <meta http-equiv="refresh">: where the page sends it by itself
    node_list scripts = {0};  // inline <script>: where a script may send it
    xmlNodePtr title = NULL;
    xmlNodePtr referrer = NULL;  // the last <meta name="referrer">: the one a browser ends up with
    for (xmlNodePtr n = root; n; n = next_in_order(n, root)) {
        if (is_element(n, "form")) list_push(&forms, n);
        else if (!title && is_element(n, "title")) title = n;
        else if ((is_element(n, "a") || is_element(n, "area")) && has_attr(n, "href")) list_push(&links, n);
        else if (is_element(n, "script")) list_push(&scripts, n);
        else if (is_element(n, "meta")) {
            char *name = attr(n, "name");
            if (name && xmlStrcasecmp((const xmlChar *)name, (const xmlChar *)"referrer") == 0) referrer = n;
            if (name) xmlFree(name);
            char *equiv = attr(n, "http-equiv");
            if (equiv && xmlStrcasecmp((const xmlChar *)equiv, (const xmlChar *)"refresh") == 0) list_push(&refreshes, n);
            if (equiv) xmlFree(equiv);
        }
    }

    buf_append(&b, "{", 1);
    json_key(&b, "title");
    if (title) {
        char *t = collapsed_text(title);
        json_string(&b, t ? t : "");
        free(t);
    } else {
        buf_puts(&b, "null");
    }
    buf_append(&b, ",", 1);
    json_key(&b, "referrer");
    char *policy = referrer ? attr(referrer, "content") : NULL;
    if (policy) json_string(&b, policy);
    else buf_puts(&b, "null");
    if (policy) xmlFree(policy);
    buf_append(&b, ",", 1);
    emit_attributes(&b, "links", &links, "href");
    emit_attributes(&b, "refreshes", &refreshes, "content");
    json_key(&b, "scripts");
    buf_append(&b, "[", 1);
    for (size_t i = 0; i < scripts.count; i++) {
        if (i) buf_append(&b, ",", 1);
        xmlChar *text = xmlNodeGetContent(scripts.items[i]);
        json_string(&b, text ? (const char *)text : "");
        if (text) xmlFree(text);
    }
    buf_append(&b, "],", 2);
    json_key(&b, "forms");
    buf_append(&b, "[", 1);
    for (size_t i = 0; i < forms.count; i++) {
        if (i) buf_append(&b, ",", 1);
        emit_form(&b, forms.items[i], root, &forms);
    }
    buf_append(&b, "]}", 2);

    free(forms.items);
    free(links.items);
    free(refreshes.items);
    free(scripts.items);
    if (doc) xmlFreeDoc(doc);
    return buf_finish(&b);
}

// MARK: - XML Schema validation

typedef struct {
    oap_buf out;
    bool first;
    int count;
} problems;

enum { OAP_MAX_PROBLEMS = 200 };

static void add_problem(problems *p, int line, const char *message) {
    if (p->count >= OAP_MAX_PROBLEMS) return;
    p->count++;
    // libxml2 messages end in a newline: trim trailing whitespace.
    size_t n = message ? strlen(message) : 0;
    while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' ' || message[n - 1] == '\r'))
        n--;
    if (!p->first) buf_append(&p->out, ",", 1);
    p->first = false;
    char num[32];
    snprintf(num, sizeof num, "%d", line < 0 ? 0 : line);
    buf_puts(&p->out, "{\"line\":");
    buf_puts(&p->out, num);
    buf_puts(&p->out, ",\"message\":");
    json_string_n(&p->out, message ? message : "", n);
    buf_append(&p->out, "}", 1);
}

static void collect_structured_error(void *ctx, xmlErrorPtr error) {
    problems *p = ctx;
    if (!error || error->level < XML_ERR_ERROR) return; // warnings do not make a file invalid
    int line = error->line;
    if (line <= 0 && error->node && ((xmlNodePtr)error->node)->type == XML_ELEMENT_NODE)
        line = (int)xmlGetLineNo((xmlNodePtr)error->node);
    add_problem(p, line, error->message);
}

char *oap_xml_schema_validate_json(const char *xml, size_t length, const char *schema_path) {
    oap_ensure_init();
    problems p = { {0}, true, 0 };
    buf_append(&p.out, "[", 1);

    xmlSetStructuredErrorFunc(&p, collect_structured_error);

    xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewParserCtxt(schema_path);
    xmlSchemaPtr schema = NULL;
    if (pctxt) {
        xmlSchemaSetParserStructuredErrors(pctxt, collect_structured_error, &p);
        schema = xmlSchemaParse(pctxt);
        xmlSchemaFreeParserCtxt(pctxt);
    }
    if (!schema) {
        char msg[1024];
        snprintf(msg, sizeof msg, "schema %s could not be loaded", schema_path ? schema_path : "(none)");
        add_problem(&p, 0, msg);
    }

    xmlDocPtr doc = NULL;
    if (length > (size_t)0x7fffffff) {
        add_problem(&p, 0, "document too large");
    } else if (!xml || length == 0) {
        add_problem(&p, 1, "document is empty");
    } else {
        doc = xmlReadMemory(xml, (int)length, "document.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    }

    if (doc && schema) {
        xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt(schema);
        if (vctxt) {
            xmlSchemaSetValidStructuredErrors(vctxt, collect_structured_error, &p);
            int rc = xmlSchemaValidateDoc(vctxt, doc);
            if (rc != 0 && p.count == 0)
                add_problem(&p, 0, "document does not match the schema");
            xmlSchemaFreeValidCtxt(vctxt);
        }
    } else if (!doc && xml && length > 0 && p.count == 0) {
        add_problem(&p, 0, "document is not well-formed XML");
    }

    xmlSetStructuredErrorFunc(NULL, NULL);
    if (doc) xmlFreeDoc(doc);
    if (schema) xmlSchemaFree(schema);

    buf_append(&p.out, "]", 1);
    return buf_finish(&p.out);
}

void oap_xml_free(char *p) { free(p); }
