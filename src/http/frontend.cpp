#include "http/frontend.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <charconv>
#include <cstdio>
#include <strings.h>
#include <chrono>
#include <nlohmann/json.hpp>

#include "abi/abi_v1.h"
#include "http/address.h"
#include "http/control_parse.h"

namespace wactor::http {

namespace {

constexpr std::size_t kMaxWaitingJobs = 64;

std::string sha256(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return std::string(reinterpret_cast<const char*>(d), sizeof d);
}

}  // namespace

Response json_response(int status, std::string body) {
  return Response{status, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}, std::move(body)};
}
Response error_response(int status, std::string_view message) { return json_response(status, json_error(message)); }

Response refused_response(std::int32_t status) {
  switch (status) {
    case abi::kQueueFull:
    case abi::kLimitReached: {
      Response r = error_response(503, status == abi::kQueueFull ? "the component's mailbox is full" : "too many requests pending");
      r.headers.emplace_back("Retry-After", "1");  // backpressure: come back later
      return r;
    }
    case abi::kTooLarge: return error_response(413, "body larger than max_payload_bytes");
    case abi::kNotFound: return error_response(503, "the component is not running");
    default: return error_response(500, "the request could not be made");
  }
}

std::string json_error(std::string_view message) {
  nlohmann::json j = {{"error", std::string(message.substr(0, abi::valid_utf8_prefix(message)))}};
  return j.dump() + "\n";
}

Frontend::Frontend(Runtime& runtime, FrontendOptions options)
    : runtime_(runtime), options_(std::move(options)), routes_(options_.routes) {
  if (!options_.token.empty()) token_digest_ = sha256(options_.token);
}

Result<std::unique_ptr<Frontend>> Frontend::start(Runtime& runtime, FrontendOptions options) {
  if (!is_loopback(options.server.address) && options.token.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "http: listening on " + options.server.address +
                                                       " (not loopback) needs a token (--token-file or [http] token_file)");
  }
  options.server.max_body_bytes = std::max(options.max_upload_bytes, runtime.max_payload_bytes());
  std::unique_ptr<Frontend> f(new Frontend(runtime, std::move(options)));
  Frontend* self = f.get();
  auto server = Server::start(f->options_.server, [self](Request&& req, Responder res) { self->handle(std::move(req), res); });
  if (!server.ok()) return std::move(server).take_error();
  f->server_ = std::move(server).value();
  f->control_thread_ = std::jthread([self](std::stop_token st) { self->control_loop(st); });
  f->sample_thread_ = std::jthread([self](std::stop_token st) { self->sample_loop(st); });
  return f;
}

Frontend::~Frontend() { stop(); }

void Frontend::stop() {
  if (server_) server_->stop();
  control_thread_.request_stop();
  sample_thread_.request_stop();
  if (control_thread_.joinable()) control_thread_.join();
  if (sample_thread_.joinable()) sample_thread_.join();
}

bool Frontend::authorized(const Request& req) const {
  if (token_digest_.empty()) return true;
  std::string presented;
  const std::string auth = req.header("Authorization");
  if (auth.size() > 7 && auth.compare(0, 7, "Bearer ") == 0) {
    presented = auth.substr(7);
  } else if (req.method == "GET" && req.path == "/") {
    // The dashboard page itself (a browser cannot add a header to a navigation); its
    // script then sends the header with every API call.
    if (auto t = query_value(req.query, "token")) presented = std::string(*t);
  }
  if (presented.empty()) return false;
  const std::string digest = sha256(presented);  // equal lengths: the comparison is constant-time
  return CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
}

void Frontend::handle(Request&& req, const Responder& res) {
  const std::string& p = req.path;
  if (p == "/healthz") return res.send(json_response(200, "{\"status\": \"ok\"}\n"));
  if (p == "/readyz") {
    return res.send(runtime_.ready() ? json_response(200, "{\"status\": \"ready\"}\n") : error_response(503, "not ready: inits still running"));
  }
  const bool host_path = p == "/metrics" || p == "/v1" || p.compare(0, 4, "/v1/") == 0;
  if (host_path) {
    if (!authorized(req)) {
      Response r = error_response(401, "missing or wrong bearer token");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return res.send(std::move(r));
    }
    if (p == "/metrics") {
      if (req.method != "GET") return res.send(error_response(405, "use GET"));
      return res.send(Response{200,
                               {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}},
                               prometheus_text(runtime_.metrics(), runtime_.components(), options_.metrics_max_components)});
    }
    return control(std::move(req), res);
  }
  // "/" is the dashboard's (never a route's: the page's ?token= must not reach a guest).
  if (p == "/") {
    if (req.method != "GET" && req.method != "HEAD") return res.send(error_response(405, "use GET"));
    if (!authorized(req)) return res.send(error_response(401, "missing or wrong token: open /?token=<token>"));
    return res.send(dashboard_page());
  }
  const auto m = routes_.match(req.method, p);
  if (m.route) return ingress(*m.route, std::move(req), res);
  if (!m.allow.empty()) {
    Response r = error_response(405, "method not allowed on " + p);
    r.headers.emplace_back("Allow", m.allow);
    return res.send(std::move(r));
  }
  res.send(error_response(404, "no route for " + req.method + " " + p.substr(0, 256)));
}

void Frontend::ingress(const Route& route, Request&& req, const Responder& res) {
  if (req.body.size() > runtime_.max_payload_bytes()) {
    return res.send(error_response(413, "body larger than max_payload_bytes (" + std::to_string(runtime_.max_payload_bytes()) + ")"));
  }
  auto head = std::make_shared<HttpRequestHead>();
  head->method = std::move(req.method);
  head->path = std::move(req.path);
  head->query = std::move(req.query);
  head->headers = std::move(req.headers);
  HostRequest hr{route.component, std::move(req.body), route.timeout, "$http", std::move(head)};
  const std::int64_t id = runtime_.request(std::move(hr), [res](HostReply&& reply) {
    switch (reply.status) {
      case abi::kCallbackOk:
      case abi::kCallbackErrorReply: {
        const bool ok = reply.status == abi::kCallbackOk;
        // A failed handler's text (a trap message) is never shown, whatever status was set.
        if (!ok && (reply.http_status == 0 || reply.failed)) {
          return res.send(error_response(500, "the component answered with an error"));
        }
        Response r{reply.http_status ? reply.http_status : 200, std::move(reply.http_headers), std::move(reply.payload)};
        bool typed = false;
        for (const auto& [k, v] : r.headers) typed = typed || (k.size() == 12 && strncasecmp(k.c_str(), "content-type", 12) == 0);
        if (!typed) {
          r.headers.emplace_back("Content-Type", abi::valid_utf8(r.body) ? "text/plain; charset=utf-8" : "application/octet-stream");
        }
        return res.send(std::move(r));
      }
      case abi::kCallbackTimeout: return res.send(error_response(504, "the component did not answer in time"));
      default: return res.send(error_response(503, "the component is down"));
    }
  });
  if (id <= 0) res.send(refused_response(static_cast<std::int32_t>(id)));
}

bool Frontend::offload(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mu_);
    if (jobs_.size() >= kMaxWaitingJobs) return false;
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
  return true;
}

void Frontend::control_loop(std::stop_token st) {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(jobs_mu_);
      if (!jobs_cv_.wait(lock, st, [&] { return !jobs_.empty(); })) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {  // an allocation failure, say: the job's Responder answers 500
      std::fprintf(stderr, "wactor: http: control operation failed: %s\n", e.what());
    }
  }
}

void Frontend::sample_loop(std::stop_token st) {
  for (;;) {
    const auto now = std::chrono::system_clock::now();
    Sample s{std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(), runtime_.metrics().total};
    std::unique_lock lock(samples_mu_);
    samples_.push_back(std::move(s));
    while (samples_.size() > 300) samples_.pop_front();
    // A clock, not an ordering: the dashboard's chart has one point per second.
    if (samples_cv_.wait_for(lock, st, std::chrono::seconds(1), [] { return false; })) return;
    if (st.stop_requested()) return;
  }
}

}  // namespace wactor::http
