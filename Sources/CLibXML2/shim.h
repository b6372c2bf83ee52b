// libxml2, seen only by the CXMLSupport C target (its headers clash with Foundation's ICU types).
#ifndef OAUTHPROBE_CLIBXML2_SHIM_H
#define OAUTHPROBE_CLIBXML2_SHIM_H
#include <libxml/parser.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlerror.h>
#endif
