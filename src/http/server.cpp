#include "http/server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unordered_map>

namespace wactor::http {

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

class Core {
 public:
  Core(ServerOptions o, Handler h) : options_(std::move(o)), handler_(std::move(h)) {}
  ~Core() {
    forget_listener();
    if (http_) evhttp_free(http_);
    if (wake_) event_free(wake_);
    if (retry_) event_free(retry_);
    if (base_) event_base_free(base_);
  }

  Status open(const std::shared_ptr<Core>& self);
  void run() { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); }
  void stop();
  // From any thread: queue `r` for `req` and wake the loop.
  void post(evhttp_request* req, Response r);
  std::uint16_t port() const { return port_; }
  std::thread& thread() { return thread_; }

 private:
  static void on_request(evhttp_request* req, void* arg);
  static void on_wake(evutil_socket_t, short, void* arg);
  // accept() failed (out of descriptors, say): pause accepting for a moment instead of
  // retrying at once in a loop; say so once.
  static void on_accept_error(evconnlistener* listener, void* arg);
  static void on_accept_retry(evutil_socket_t, short, void* arg);
  void forget_listener();
  void write(evhttp_request* req, Response& r);

  ServerOptions options_;
  Handler handler_;
  std::weak_ptr<Core> self_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  event* wake_ = nullptr;
  event* retry_ = nullptr;
  evconnlistener* listener_ = nullptr;
  bool accept_error_reported_ = false;
  std::uint16_t port_ = 0;
  std::mutex mu_;
  bool closing_ = false;   // stop() began: the loop runs a last moment
  bool stopping_ = false;  // the loop has ended
  std::vector<std::pair<evhttp_request*, Response>> done_;
  std::thread thread_;
};

namespace {
// The listener's callback argument is evhttp's own: the Core is found by its listener.
std::mutex g_listeners_mu;
std::unordered_map<evconnlistener*, Core*> g_listeners;
}  // namespace

struct Responder::State {
  std::weak_ptr<Core> core;
  evhttp_request* req = nullptr;
  std::atomic<bool> sent{false};
  ~State() {
    if (!sent.load(std::memory_order_acquire)) {
      if (auto c = core.lock()) c->post(req, Response{500, {{"Content-Type", "application/json"}}, "{\"error\": \"no response\"}\n"});
    }
  }
};

void Responder::send(Response response) const {
  if (!state_ || state_->sent.exchange(true, std::memory_order_acq_rel)) return;
  if (auto c = state_->core.lock()) c->post(state_->req, std::move(response));
}

namespace {
std::string_view method_name(evhttp_cmd_type t) {
  switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
  }
  return "?";
}
}  // namespace

Status Core::open(const std::shared_ptr<Core>& self) {
  static std::once_flag threads;
  std::call_once(threads, [] { evthread_use_pthreads(); });
  self_ = self;
  // The epoll changelist halves the epoll_ctl calls per request (docs/HTTP.md: 72k -> 92k
  // req/s for a direct reply); it is unsafe only with dup()ed descriptors, which evhttp never uses.
  event_config* cfg = event_config_new();
  if (cfg) event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  base_ = cfg ? event_base_new_with_config(cfg) : event_base_new();
  if (cfg) event_config_free(cfg);
  if (!base_) return make_error(ErrorCode::kInternal, "http: cannot create an event base");
  http_ = evhttp_new(base_);
  wake_ = event_new(base_, -1, 0, &Core::on_wake, this);
  if (!http_ || !wake_) return make_error(ErrorCode::kInternal, "http: cannot create the server");
  evhttp_set_max_headers_size(http_, static_cast<ev_ssize_t>(options_.max_header_bytes));
  evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(options_.max_body_bytes));
  evhttp_set_timeout(http_, static_cast<int>(options_.timeout.count()));
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                        EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
  evhttp_set_gencb(http_, &Core::on_request, this);
  evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http_, options_.address.c_str(), options_.port);
  if (!bound) {
    return make_error(ErrorCode::kIo, "http: cannot listen on " + options_.address + ":" +
                                                   std::to_string(options_.port) + " (in use, or not a local address)");
  }
  listener_ = evhttp_bound_socket_get_listener(bound);
  retry_ = evtimer_new(base_, &Core::on_accept_retry, this);
  if (!listener_ || !retry_) return make_error(ErrorCode::kInternal, "http: cannot watch the listener");
  evconnlistener_set_error_cb(listener_, &Core::on_accept_error);
  {
    std::lock_guard lock(g_listeners_mu);
    g_listeners[listener_] = this;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  return {};
}

void Core::on_request(evhttp_request* req, void* arg) {
  auto* core = static_cast<Core*>(arg);
  Request r;
  r.method = method_name(evhttp_request_get_command(req));
  if (const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req)) {
    const char* path = evhttp_uri_get_path(uri);
    const char* query = evhttp_uri_get_query(uri);
    r.path = path && *path ? path : "/";
    r.query = query ? query : "";
  } else {
    r.path = "/";
  }
  if (evkeyvalq* in = evhttp_request_get_input_headers(req)) {
    for (evkeyval* kv = in->tqh_first; kv; kv = kv->next.tqe_next) r.headers.emplace_back(kv->key, kv->value);
  }
  if (evbuffer* body = evhttp_request_get_input_buffer(req)) {
    r.body.resize(evbuffer_get_length(body));
    if (!r.body.empty()) evbuffer_remove(body, r.body.data(), r.body.size());
  }
  auto state = std::make_shared<Responder::State>();
  state->core = core->self_;
  state->req = req;
  Responder responder(state);
  state.reset();
  try {
    core->handler_(std::move(r), responder);
  } catch (const std::exception& e) {
    responder.send(Response{500, {{"Content-Type", "application/json"}}, "{\"error\": \"internal error\"}\n"});
  }
}

void Core::on_accept_error(evconnlistener* listener, void*) {
  Core* core = nullptr;
  {
    std::lock_guard lock(g_listeners_mu);
    if (auto it = g_listeners.find(listener); it != g_listeners.end()) core = it->second;
  }
  if (!core) return;
  const int err = EVUTIL_SOCKET_ERROR();
  if (!core->accept_error_reported_) {
    core->accept_error_reported_ = true;
    std::fprintf(stderr, "wactor: http: accept failed (%s): pausing new connections for 100 ms at a time\n",
                 evutil_socket_error_to_string(err));
  }
  evconnlistener_disable(listener);
  const timeval pause{0, 100'000};
  evtimer_add(core->retry_, &pause);
}

void Core::forget_listener() {
  std::lock_guard lock(g_listeners_mu);
  if (listener_) g_listeners.erase(listener_);
}

void Core::on_accept_retry(evutil_socket_t, short, void* arg) {
  auto* core = static_cast<Core*>(arg);
  evconnlistener_enable(core->listener_);
}

void Core::post(evhttp_request* req, Response r) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  done_.emplace_back(req, std::move(r));
  if (done_.size() == 1) event_active(wake_, EV_READ, 0);
}

void Core::on_wake(evutil_socket_t, short, void* arg) {
  auto* core = static_cast<Core*>(arg);
  std::vector<std::pair<evhttp_request*, Response>> batch;
  {
    std::lock_guard lock(core->mu_);
    batch.swap(core->done_);
  }
  for (auto& [req, r] : batch) core->write(req, r);
}

void Core::write(evhttp_request* req, Response& r) {
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  for (const auto& [k, v] : r.headers) evhttp_add_header(out, k.c_str(), v.c_str());
  evbuffer* body = evbuffer_new();
  if (!body) {
    evhttp_send_error(req, 500, nullptr);
    return;
  }
  // A HEAD answer carries the GET answer's headers but never its body (libevent would send
  // it, and a keep-alive client would read it as the start of the next answer).
  const bool head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
  if (head) evhttp_add_header(out, "Content-Length", std::to_string(r.body.size()).c_str());
  // Nor does a 1xx, 204 or 304 answer: libevent writes no length for them but would write the
  // body, and a body a guest chose would be read as a second, forged answer.
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!r.body.empty() && !head && !bodiless) evbuffer_add(body, r.body.data(), r.body.size());
  evhttp_send_reply(req, r.status, nullptr, body);
  evbuffer_free(body);
}

void Core::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || closing_) return;
    closing_ = true;
    // Answers queued now (the 503s of a drain, say) are written, and their sockets get a
    // moment to flush, before the loop ends.
    event_active(wake_, EV_READ, 0);
  }
  const timeval flush{0, 300'000};
  event_base_loopexit(base_, &flush);
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  stopping_ = true;  // from now on answers are dropped
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Handler handler) {
  auto core = std::make_shared<Core>(std::move(options), std::move(handler));
  WACTOR_TRY(core->open(core));
  core->thread() = std::thread([c = core.get()] { c->run(); });
  return std::unique_ptr<Server>(new Server(std::move(core)));
}

Server::~Server() { stop(); }
std::uint16_t Server::port() const { return core_->port(); }
void Server::stop() {
  if (core_) core_->stop();
}

}  // namespace wactor::http
