import Foundation
import Testing
@testable import OAuthProbeKit

private let djangoLogin = """
<!DOCTYPE html>
<html lang="en-us" dir="ltr">
<head>
<title>Log in | Django site admin</title>
<link rel="stylesheet" href="/static/admin/css/base.css">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
</head>
<body class=" login" data-admin-utc-offset="0">
<div id="container">
    <div id="header"><div id="branding"><h1 id="site-name"><a href="/admin/">Django administration</a></h1></div></div>
    <div class="main" id="main">
      <div id="content" class="colM">
<div id="content-main">
<form action="/accounts/login/?next=/o/authorize/%3Fclient_id%3Dabc" method="post" id="login-form"><input type="hidden" name="csrfmiddlewaretoken" value="Zk9yPq2v8lWmK3nS1tXbA7cD4eF6gH0iJ5kL9mN2oP8qR1sT3uV5wX7yZ0aB2cD4">
  <div class="form-row">
    <label class="required" for="id_username">Username:</label> <input type="text" name="username" autofocus autocapitalize="none" autocomplete="username" maxlength="150" required id="id_username">
  </div>
  <div class="form-row">
    <label class="required" for="id_password">Password:</label> <input type="password" name="password" autocomplete="current-password" required id="id_password">
    <input type="hidden" name="next" value="/o/authorize/?client_id=abc&amp;response_type=code">
  </div>
  <div class="submit-row">
    <input type="submit" value="Log in">
  </div>
</form>
</div>
      </div>
    </div>
</div>
</body>
</html>
"""

private let consentPageHTML = """
<!doctype html>
<html><head><meta charset="utf-8"><title>
   Authorize   Example&nbsp;App
</title></head>
<body>
<form method="GET" action="/search" id="search"><input name="q"></form>
<form method="POST" action="" name="consent">
  <input type="hidden" name="request_id" value="r-1">
  <ul>
    <li><label><input type="checkbox" name="scope" value="openid" checked> OpenID</label></li>
    <li><label><input type="checkbox" name="scope" value="email"> Email</label></li>
    <li><input type="checkbox" name="remember"></li>
  </ul>
  <input type="radio" name="duration" value="1h">
  <input type="radio" name="duration" value="1d" checked>
  <select name="account">
    <option value="a1">alice@example.com</option>
    <option value="a2" selected>alice (work)</option>
  </select>
  <select name="lang"><optgroup label="x"><option>en</option><option>fr</option></optgroup></select>
  <textarea name="note">
line one
line "two" \\ é</textarea>
  <input type="text" name="disabled_field" value="d" disabled>
  <button type="submit" name="decision" value="allow" class="primary">  Allow
     access </button>
  <button type="submit" name="decision" value="deny">Deny</button>
  <button type="button" onclick="history.back()">Back</button>
  <input type="reset" value="Reset">
  <input type="image" name="pic" src="x.png">
  <button>Plain</button>
</form>
</body></html>
"""

private let brokenPage = """
<HTML><HEAD><TITLE>Sign in</HEAD>
<BODY>
<table><tr><td>
<FORM METHOD=Post ACTION=/login.cgi ENCTYPE="MULTIPART/form-data" id=f1>
<td><INPUT TYPE=TEXT NAME=user VALUE=bob>
<td><INPUT TYPE=PASSWORD NAME=pass>
<p><b>unclosed bold <i>and italics
<INPUT TYPE=hidden NAME=token VALUE="a&lt;b&gt;&quot;c&quot;">
<INPUT TYPE=SUBMIT NAME=go VALUE=Go>
</table>
<input type="hidden" name="outside" value="o" form="f1">
<form action="/second"><input name="s"
"""

@Suite("XML: HTML login forms")
struct XMLHTMLFormTests {
    @Test("a Django login form with its CSRF token")
    func djangoLoginForm() throws {
        let page = HTMLFormParser.parse(Data(djangoLogin.utf8))
        #expect(page.title == "Log in | Django site admin")
        let form = try #require(page.forms.first)
        #expect(page.forms.count == 1)
        #expect(form.id == "login-form")
        #expect(form.name == nil)
        #expect(form.method == "post")
        #expect(form.action == "/accounts/login/?next=/o/authorize/%3Fclient_id%3Dabc")
        #expect(form.enctype == "application/x-www-form-urlencoded")
        #expect(form.fields.map(\.name) == ["csrfmiddlewaretoken", "username", "password", "next"])
        #expect(form.field(named: "csrfmiddlewaretoken")?.type == "hidden")
        #expect(form.field(named: "csrfmiddlewaretoken")?.value == "Zk9yPq2v8lWmK3nS1tXbA7cD4eF6gH0iJ5kL9mN2oP8qR1sT3uV5wX7yZ0aB2cD4")
        #expect(form.field(named: "password")?.type == "password")
        #expect(form.field(named: "next")?.value == "/o/authorize/?client_id=abc&response_type=code")
        #expect(form.buttons == [HTMLFormField(name: "", type: "submit", value: "Log in", label: "Log in")])
    }

    @Test("a consent page: several submit buttons, checkboxes, radios, selects, textarea")
    func consentPage() throws {
        let page = HTMLFormParser.parse(Data(consentPageHTML.utf8))
        #expect(page.title == "Authorize Example\u{a0}App")
        #expect(page.forms.map(\.method) == ["get", "post"])
        #expect(page.forms.map(\.id) == ["search", nil])
        let form = try #require(page.forms.count == 2 ? page.forms[1] : nil)
        #expect(form.name == "consent")
        #expect(form.action == "")

        let scope = form.fields.filter { $0.name == "scope" }
        #expect(scope.map(\.value) == ["openid", "email"])
        #expect(scope.map(\.checked) == [true, false])
        #expect(form.field(named: "remember")?.value == "on")
        #expect(form.fields.filter { $0.name == "duration" }.map(\.checked) == [false, true])
        #expect(form.field(named: "account")?.value == "a2")
        #expect(form.field(named: "account")?.label == "alice (work)")
        #expect(form.field(named: "lang")?.value == "en")
        #expect(form.field(named: "note")?.value == "line one\nline \"two\" \\ é")
        #expect(form.field(named: "disabled_field")?.disabled == true)

        #expect(form.buttons.map(\.name) == ["decision", "decision", "pic", ""])
        #expect(form.buttons.map(\.value) == ["allow", "deny", "", ""])
        #expect(form.buttons.map(\.label) == ["Allow access", "Deny", "", "Plain"])
        #expect(form.buttons.map(\.type) == ["submit", "submit", "image", "submit"])

        let allow = try #require(form.buttons.first { $0.label == "Allow access" })
        let pairs = form.submission(pressing: allow).map { "\($0.name)=\($0.value)" }
        #expect(pairs == ["request_id=r-1", "scope=openid", "duration=1d", "account=a2", "lang=en",
                          "note=line one\nline \"two\" \\ é", "decision=allow"])
    }

    @Test("broken HTML is recovered: unquoted, upper-case, unclosed, form= owners")
    func brokenHTML() throws {
        let page = HTMLFormParser.parse(Data(brokenPage.utf8))
        #expect(page.title == "Sign in")
        let form = try #require(page.forms.first { $0.id == "f1" })
        #expect(form.method == "post")
        #expect(form.action == "/login.cgi")
        #expect(form.enctype == "multipart/form-data")
        #expect(form.field(named: "user")?.value == "bob")
        #expect(form.field(named: "pass")?.type == "password")
        #expect(form.field(named: "token")?.value == "a<b>\"c\"")
        #expect(form.field(named: "outside")?.value == "o")
        #expect(form.buttons.map(\.name) == ["go"])
        let second = try #require(page.forms.first { $0.action == "/second" })
        #expect(second.method == "get")
    }

    @Test("text comes back exactly: quotes, backslashes, control characters, non-ASCII", arguments: [
        "plain", "with \"quotes\"", "back\\slash", "tab\there", "caf\u{e9} \u{65e5}\u{672c} \u{1F510}", "</script>",
        "\u{1}\u{1f}",
    ])
    func escaping(value: String) throws {
        let escaped = value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
        let html = "<html><body><form><input name=\"v\" value=\"\(escaped)\"></form></body></html>"
        let form = try #require(HTMLFormParser.forms(in: Data(html.utf8)).first)
        #expect(form.field(named: "v")?.value == value)
    }

    @Test("a declared charset is honoured; undeclared pages are read as UTF-8")
    func charsets() throws {
        var latin1 = Data("<html><head><meta charset=\"iso-8859-1\"><title>Caf".utf8)
        latin1.append(0xE9)
        latin1.append(contentsOf: Array("</title></head><body></body></html>".utf8))
        #expect(HTMLFormParser.title(in: latin1) == "Café")
        #expect(HTMLFormParser.title(in: Data("<title>Café ✓</title>".utf8)) == "Café ✓")
        #expect(HTMLFormParser.parse(latin1, encoding: "ISO-8859-1").title == "Café")
    }

    @Test("pages without forms", arguments: ["", "not html at all", "<html><body><p>hi</body></html>", "\0\0"])
    func noForms(html: String) {
        #expect(HTMLFormParser.forms(in: Data(html.utf8)).isEmpty)
    }
}
