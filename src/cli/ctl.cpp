// `wactor ctl`: talks to a running wactor's /v1 control API over HTTP with libcurl. The
// server is not trusted: JSON is parsed by nlohmann::json, the response size is bounded,
// every transfer has a connect and a total timeout, and what is echoed from an error body
// is cut to one printable line.
#include "cli/ctl.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "cli/files.h"
#include "wactor/cli.h"

namespace wactor::cli {
namespace {

constexpr std::string_view kCtlHelp =
    "usage: wactor ctl <command> [args] [--host URL] [--token-file F]\n"
    "\n"
    "Controls a running 'wactor run ... --listen A:P' through its /v1 API (docs/HTTP.md).\n"
    "\n"
    "commands:\n"
    "  list [--json]                       the components: id, module, engine, state, mailbox, handled, errors, restarts\n"
    "  spawn ID --module M [--config TEXT] [--on HOST]\n"
    "                                      make a component from a [[module]] ([cluster]: on HOST, or 'any')\n"
    "  stop ID                             stop a component and remove it\n"
    "  upgrade ID FILE.wasm                hot-upgrade a component to new code\n"
    "  send ID PAYLOAD | send ID --file F  queue a message (from the host)\n"
    "  request ID PAYLOAD [--timeout-ms N] send a request and print the reply\n"
    "  metrics [--json]                    the Prometheus text of /metrics, or /v1/metrics as JSON\n"
    "\n"
    "options:\n"
    "  --host URL        the server (default $WACTOR_HOST, else http://127.0.0.1:8080)\n"
    "  --token-file F    send the token in F as 'Authorization: Bearer' (default $WACTOR_TOKEN_FILE)\n"
    "  -h, --help        show this help\n"
    "\n"
    "exit status: 0 ok, 1 refused (HTTP error, no connection, error reply, timeout), 2 bad command line\n";

constexpr std::size_t kMaxResponseBytes = std::size_t{64} << 20;  // a hostile server cannot make us allocate more
constexpr long kConnectTimeoutMs = 5'000;
constexpr long kTotalTimeoutMs = 120'000;

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::string host;
  std::string token_file;
  std::optional<std::string> module, config, file;
  std::optional<std::string> on;  // spawn: the host ([cluster])
  std::optional<long> timeout_ms;
  bool json = false;
};

int usage(std::ostream& err, std::string_view msg) {
  err << "wactor ctl: " << msg << "\n\n" << kCtlHelp;
  return kExitUsage;
}

// One printable line of at most 300 bytes of untrusted text.
std::string one_line(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 300)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7f) ? ' ' : ch;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return s.size() > 300 ? out + "..." : out;
}

struct Reply {
  long status = 0;
  std::string body;
};

struct Client {
  std::string host;  // without a trailing '/'
  std::string token;
  std::ostream& err;

  // Performs one request; on a transport failure prints one line and returns nullopt.
  std::optional<Reply> call(const std::string& method, const std::string& path, const std::string* body,
                            const std::string& content_type, long total_ms) const {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> h(curl_easy_init(), curl_easy_cleanup);
    if (!h) {
      err << "wactor ctl: cannot initialise libcurl\n";
      return std::nullopt;
    }
    struct Sink {
      std::string data;
      bool too_big = false;
    } sink;
    auto write = +[](char* p, std::size_t size, std::size_t n, void* user) -> std::size_t {
      auto* s = static_cast<Sink*>(user);
      const std::size_t len = size * n;
      if (s->data.size() + len > kMaxResponseBytes) {
        s->too_big = true;
        return 0;  // aborts the transfer
      }
      s->data.append(p, len);
      return len;
    };
    const std::string url = host + path;
    char errbuf[CURL_ERROR_SIZE] = {};
    CURL* c = h.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);  // ids "." and ".." stay in the path
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxResponseBytes));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "wactor-ctl");
    curl_slist* headers = nullptr;
    auto add = [&headers](const std::string& line) {
      if (curl_slist* n = curl_slist_append(headers, line.c_str())) headers = n;
    };
    add("Expect:");  // no 100-continue round trip for large bodies
    if (!token.empty()) add("Authorization: Bearer " + token);
    if (body) add("Content-Type: " + content_type);
    const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(headers, curl_slist_free_all);
    if (body) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    }
    if (method != "GET" && method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      long os_errno = 0;
      curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
      const std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        err << "wactor ctl: " << url << ": response larger than " << (kMaxResponseBytes >> 20) << " MiB\n";
      } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
        err << "wactor ctl: cannot connect to " << host << ": "
            << (rc == CURLE_COULDNT_CONNECT && os_errno ? std::strerror(static_cast<int>(os_errno)) : detail) << "\n";
      } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected_us = 0;
        curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected_us);
        if (connected_us == 0) {
          err << "wactor ctl: cannot connect to " << host << ": no connection within " << kConnectTimeoutMs << " ms\n";
        } else {
          err << "wactor ctl: " << url << ": no answer within " << total_ms << " ms\n";
        }
      } else {
        err << "wactor ctl: " << url << ": " << detail << "\n";
      }
      return std::nullopt;
    }
    Reply r;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    r.body = std::move(sink.data);
    return r;
  }
};

// Reports a refusal: "wactor ctl: <what>: <status>: <the JSON error, or the body>".
int refused(std::ostream& err, std::string_view what, const Reply& r) {
  std::string msg;
  const auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    msg = j["error"].get<std::string>();
  } else {
    msg = r.body;
  }
  err << "wactor ctl: " << what << ": " << r.status << ": " << one_line(msg) << "\n";
  return kExitError;
}

std::string escape_id(const std::string& id) {
  std::unique_ptr<char, decltype(&curl_free)> e(curl_easy_escape(nullptr, id.data(), static_cast<int>(id.size())),
                                               curl_free);
  return e ? std::string(e.get()) : std::string();
}

std::string number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return "-";
  return it->dump();
}
std::string text(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) return "-";
  return one_line(it->get<std::string>());
}

int print_table(std::ostream& out, std::ostream& err, const std::string& body) {
  const auto arr = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) {
    err << "wactor ctl: list: the server's answer is not a JSON array\n";
    return kExitError;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "MODULE", "ENGINE", "STATE", "MAILBOX", "HANDLED", "ERRORS", "RESTARTS"}};
  // [cluster]: the lattice's components, each with its host.
  const bool hosts = std::any_of(arr.begin(), arr.end(), [](const auto& c) { return c.is_object() && c.contains("host"); });
  if (hosts) rows[0].insert(rows[0].begin() + 1, "HOST");
  for (const auto& c : arr) {
    if (!c.is_object()) continue;
    std::string errors = "-";
    const auto he = c.find("handler_errors");
    const auto tr = c.find("traps");
    if (he != c.end() && tr != c.end() && he->is_number_unsigned() && tr->is_number_unsigned()) {
      errors = std::to_string(he->get<std::uint64_t>() + tr->get<std::uint64_t>());
    }
    rows.push_back({text(c, "id"), text(c, "module"), text(c, "engine"), text(c, "state"), number(c, "mailbox_depth"),
                    number(c, "messages_handled"), errors, number(c, "restarts")});
    if (hosts) rows.back().insert(rows.back().begin() + 1, text(c, "host"));
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
  return kExitOk;
}

// Parses the command line; returns an exit status on error.
std::optional<int> parse(const std::vector<std::string_view>& args, Args& a, std::ostream& out, std::ostream& err) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view s = args[i];
    auto value = [&](std::string& into) -> bool {
      if (i + 1 >= args.size()) return false;
      into = std::string(args[++i]);
      return true;
    };
    std::string v;
    if (s == "-h" || s == "--help") {
      out << kCtlHelp;
      return kExitOk;
    } else if (s == "--json") {
      a.json = true;
    } else if (s == "--host" || s == "--token-file" || s == "--module" || s == "--config" || s == "--file" ||
               s == "--timeout-ms" || s == "--on") {
      if (!value(v)) return usage(err, std::string(s) + " needs a value");
      if (s == "--on") a.on = v;
      if (s == "--host") a.host = v;
      if (s == "--token-file") a.token_file = v;
      if (s == "--module") a.module = v;
      if (s == "--config") a.config = v;
      if (s == "--file") a.file = v;
      if (s == "--timeout-ms") {
        long n = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > 3'600'000) {
          return usage(err, "--timeout-ms: '" + v + "' is not a number from 1 to 3600000");
        }
        a.timeout_ms = n;
      }
    } else if (s.size() > 1 && s.starts_with("-")) {
      return usage(err, "unknown option '" + std::string(s) + "'");
    } else if (a.command.empty()) {
      a.command = std::string(s);
    } else {
      a.positional.emplace_back(s);
    }
  }
  if (a.command.empty()) return usage(err, "no command given");
  // Which options and how many arguments each command takes.
  struct Shape {
    std::string_view name;
    std::size_t min_args, max_args;
    bool json, module, config, file, timeout;
  };
  static constexpr Shape kShapes[] = {
      {"list", 0, 0, true, false, false, false, false},     {"spawn", 1, 1, false, true, true, false, false},
      {"stop", 1, 1, false, false, false, false, false},    {"upgrade", 2, 2, false, false, false, false, false},
      {"send", 1, 2, false, false, false, true, false},     {"request", 1, 2, false, false, false, true, true},
      {"metrics", 0, 0, true, false, false, false, false},
  };
  const Shape* shape = nullptr;
  for (const auto& sh : kShapes)
    if (sh.name == a.command) shape = &sh;
  if (!shape) return usage(err, "unknown command '" + a.command + "'");
  const std::string cmd = a.command;
  if (a.positional.size() < shape->min_args || a.positional.size() > shape->max_args) {
    return usage(err, cmd + ": wrong number of arguments");
  }
  if (a.json && !shape->json) return usage(err, cmd + ": --json does not apply");
  if (a.module && !shape->module) return usage(err, cmd + ": --module does not apply");
  if (a.config && !shape->config) return usage(err, cmd + ": --config does not apply");
  if (a.file && !shape->file) return usage(err, cmd + ": --file does not apply");
  if (a.timeout_ms && !shape->timeout) return usage(err, cmd + ": --timeout-ms does not apply");
  if (cmd == "spawn" && !a.module) return usage(err, "spawn needs --module M");
  if (a.on && cmd != "spawn") return usage(err, cmd + ": --on does not apply");
  if ((cmd == "send" || cmd == "request") && (a.positional.size() == 2) == a.file.has_value()) {
    return usage(err, cmd + " needs a PAYLOAD or --file F (one of them)");
  }
  if (a.host.empty()) {
    const char* env = std::getenv("WACTOR_HOST");
    a.host = env && *env ? env : "http://127.0.0.1:8080";
  }
  while (a.host.size() > 1 && a.host.back() == '/') a.host.pop_back();
  if (!a.host.starts_with("http://") && !a.host.starts_with("https://")) {
    return usage(err, "--host: '" + a.host + "' is not an http:// or https:// URL");
  }
  if (a.token_file.empty()) {
    if (const char* env = std::getenv("WACTOR_TOKEN_FILE")) a.token_file = env;
  }
  return std::nullopt;
}

Result<std::string> read_text(const std::string& path, std::string_view what) {
  auto bytes = read_file(path, what);
  if (!bytes.ok()) return std::move(bytes).take_error();
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

int ctl_main(const std::vector<std::string_view>& args, std::ostream& out, std::ostream& err) {
  Args a;
  if (auto status = parse(args, a, out, err)) return *status;
  struct CurlGlobal {  // once per process, before any handle; freed when ctl ends
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~CurlGlobal() { curl_global_cleanup(); }
  } curl_global;
  Client client{a.host, {}, err};
  if (!a.token_file.empty()) {
    auto token = read_text(a.token_file, "token file");
    if (!token.ok()) {
      err << "wactor ctl: " << token.error().message << "\n";
      return kExitError;
    }
    std::string t = std::move(token).value();
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos) {
      err << "wactor ctl: " << a.token_file << ": the token must be one line\n";
      return kExitError;
    }
    client.token = std::move(t);
  }
  const std::string& cmd = a.command;
  const std::string id = a.positional.empty() ? "" : a.positional[0];
  const std::string comp = "/v1/components/" + escape_id(id);
  auto get = [&](const std::string& path) { return client.call("GET", path, nullptr, {}, kTotalTimeoutMs); };

  if (cmd == "list" || cmd == "metrics") {
    const std::string path = cmd == "list" ? "/v1/components" : (a.json ? "/v1/metrics" : "/metrics");
    auto r = get(path);
    if (!r) return kExitError;
    if (r->status != 200) return refused(err, cmd, *r);
    if (cmd == "list" && !a.json) return print_table(out, err, r->body);
    out << r->body;
    return kExitOk;
  }
  if (cmd == "spawn") {
    nlohmann::json req{{"id", id}, {"module", *a.module}};
    if (a.config) req["config"] = *a.config;
    if (a.on) req["host"] = *a.on;
    const std::string body = req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto r = client.call("POST", "/v1/components", &body, "application/json", kTotalTimeoutMs);
    if (!r) return kExitError;
    if (r->status != 201) return refused(err, "spawn " + id, *r);
    out << "spawned " << id << " from module " << *a.module << (a.on ? " on " + *a.on : std::string()) << "\n";
    return kExitOk;
  }
  if (cmd == "stop") {
    auto r = client.call("DELETE", comp, nullptr, {}, kTotalTimeoutMs);
    if (!r) return kExitError;
    if (r->status != 204 && r->status != 200) return refused(err, "stop " + id, *r);
    out << "stopped " << id << "\n";
    return kExitOk;
  }
  if (cmd == "upgrade") {
    auto wasm = read_text(a.positional[1], "module");
    if (!wasm.ok()) {
      err << "wactor ctl: " << wasm.error().message << "\n";
      return kExitError;
    }
    auto r = client.call("POST", comp + "/upgrade", &*wasm, "application/wasm", kTotalTimeoutMs);
    if (!r) return kExitError;
    if (r->status != 200) return refused(err, "upgrade " + id, *r);
    out << "upgraded " << id << "\n";
    return kExitOk;
  }
  // send / request: the payload is the argument or the file's bytes.
  std::string payload;
  if (a.file) {
    auto bytes = read_text(*a.file, "payload file");
    if (!bytes.ok()) {
      err << "wactor ctl: " << bytes.error().message << "\n";
      return kExitError;
    }
    payload = std::move(bytes).value();
  } else {
    payload = a.positional[1];
  }
  if (cmd == "send") {
    auto r = client.call("POST", comp + "/messages", &payload, "application/octet-stream", kTotalTimeoutMs);
    if (!r) return kExitError;
    if (r->status != 202) return refused(err, "send " + id, *r);
    out << "queued for " << id << "\n";
    return kExitOk;
  }
  std::string path = comp + "/requests";
  long total = kTotalTimeoutMs;
  if (a.timeout_ms) {
    path += "?timeout_ms=" + std::to_string(*a.timeout_ms);
    total = std::max(total, *a.timeout_ms + 30'000);
  }
  auto r = client.call("POST", path, &payload, "application/octet-stream", total);
  if (!r) return kExitError;
  if (r->status == 502) {
    err << "wactor ctl: request " << id << ": 502: error reply: " << one_line(r->body) << "\n";
    return kExitError;
  }
  if (r->status != 200) return refused(err, "request " + id, *r);
  out << r->body;
  out.flush();
  return kExitOk;
}

}  // namespace wactor::cli
