// The project's only door to libxml2. This header deliberately includes no libxml2 header:
// they clash with Foundation's ICU types when imported into Swift next to Foundation.
#ifndef OAUTHPROBE_CXMLSUPPORT_H
#define OAUTHPROBE_CXMLSUPPORT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Parses HTML leniently (recover, no network, no diagnostics) and returns the page as JSON:
/// {"title": string|null, "referrer": string|null, "links": [href of a and area],
///  "refreshes": [content of meta http-equiv=refresh], "scripts": [inline script text],
///  "forms": [{"id","name","action","method","enctype",
///   "fields": [{"name","type","value","checked","disabled","label"}], "buttons": [...]}]}.
/// `encoding` may be NULL: then UTF-8 unless the page declares a charset itself.
/// Returns a malloc'd NUL-terminated UTF-8 string (free with oap_xml_free), or NULL on allocation failure.
char *oap_html_forms_json(const char *html, size_t length, const char *encoding);

/// Checks `xml` for well-formedness and against the XML Schema at `schema_path`.
/// Returns a malloc'd JSON array of {"line": int, "message": string}; [] means valid.
/// Line 0 means the problem has no position (for example, the schema could not be loaded).
char *oap_xml_schema_validate_json(const char *xml, size_t length, const char *schema_path);

/// Frees a string returned by this module.
void oap_xml_free(char *p);

#ifdef __cplusplus
}
#endif

#endif
