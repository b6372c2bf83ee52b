// Typed wrappers for libcurl's variadic entry points, which Swift cannot call.
#ifndef OAUTHPROBE_CCURL_SHIM_H
#define OAUTHPROBE_CCURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*oap_curl_write_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode oap_curl_setopt_long(CURL *h, CURLoption o, long v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode oap_curl_setopt_string(CURL *h, CURLoption o, const char *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode oap_curl_setopt_pointer(CURL *h, CURLoption o, void *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode oap_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode oap_curl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) {
    return curl_easy_setopt(h, o, v);
}
static inline CURLcode oap_curl_setopt_write_cb(CURL *h, CURLoption o, oap_curl_write_cb v) {
    return curl_easy_setopt(h, o, v);
}

/// Sets a PEM blob option (CURLOPT_CAINFO_BLOB); libcurl copies the bytes.
static inline CURLcode oap_curl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, o, &blob);
}

typedef int (*oap_curl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                    curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode oap_curl_setopt_xferinfo_cb(CURL *h, CURLoption o, oap_curl_xferinfo_cb v) {
    return curl_easy_setopt(h, o, v);
}

/// CURLOPT_DEBUGFUNCTION: with CURLOPT_VERBOSE on, libcurl hands over what it sends and
/// receives, the request's header block (CURLINFO_HEADER_OUT) included.
typedef int (*oap_curl_debug_cb)(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata);
static inline CURLcode oap_curl_setopt_debug_cb(CURL *h, CURLoption o, oap_curl_debug_cb v) {
    return curl_easy_setopt(h, o, v);
}

static inline CURLcode oap_curl_getinfo_long(CURL *h, CURLINFO i, long *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode oap_curl_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode oap_curl_getinfo_slist(CURL *h, CURLINFO i, struct curl_slist **v) {
    return curl_easy_getinfo(h, i, v);
}
static inline CURLcode oap_curl_getinfo_string(CURL *h, CURLINFO i, char **v) {
    return curl_easy_getinfo(h, i, v);
}

/// Whether libcurl's URL parser accepts `url` as an absolute URL (as written, dot segments kept).
static inline int oap_curl_url_parses(const char *url) {
    CURLU *u = curl_url();
    if (!u) return 0;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS | CURLU_NON_SUPPORT_SCHEME);
    curl_url_cleanup(u);
    return rc == CURLUE_OK;
}

// Macros Swift does not import (casts, expressions).
static const long oap_CURL_HTTP_VERSION_1_1 = CURL_HTTP_VERSION_1_1;
static const long oap_CURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT;

#endif
