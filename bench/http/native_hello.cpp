// wactor-http-native: the native baseline of bench/http-bench.sh (docs/BENCHMARKS.md, "HTTP
// ingress"). A hello-world on libevent's evhttp set up the way src/http/server.cpp sets up
// wactor's server (one loop thread, the same limits), answering GET /hello with "hello".
//   wactor-http-native [--deferred] [--port N]
// Inline (default): the reply is written from the request callback.
// --deferred: each request is handed to a worker thread, which posts the reply back to the
// loop (a mutex-guarded batch and event_active, as wactor's Responder does): the cost of
// the hand-off alone, without a runtime or a guest.
// Prints "listening on http://127.0.0.1:PORT" on stderr once bound.
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr std::string_view kHello = "hello";

void reply(evhttp_request* req) {
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, kHello.data(), kHello.size());
  evhttp_send_reply(req, 200, nullptr, body);
  evbuffer_free(body);
}

bool is_hello(evhttp_request* req) {
  if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) return false;
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = uri ? evhttp_uri_get_path(uri) : nullptr;
  return path && std::strcmp(path, "/hello") == 0;
}

void on_inline(evhttp_request* req, void*) {
  if (!is_hello(req)) return evhttp_send_error(req, 404, nullptr);
  reply(req);
}

// The deferred variant: loop thread -> worker (queue + condition variable) -> loop thread
// (batch + event_active), one hand-off each way per request.
struct Deferred {
  event* wake = nullptr;
  std::mutex in_mu;
  std::condition_variable in_cv;
  std::deque<evhttp_request*> in;
  std::mutex out_mu;
  std::vector<evhttp_request*> out;

  void worker() {
    for (;;) {
      evhttp_request* req = nullptr;
      {
        std::unique_lock lock(in_mu);
        in_cv.wait(lock, [&] { return !in.empty(); });
        req = in.front();
        in.pop_front();
      }
      std::lock_guard lock(out_mu);
      out.push_back(req);
      if (out.size() == 1) event_active(wake, EV_READ, 0);
    }
  }
  static void on_request(evhttp_request* req, void* arg) {
    auto* d = static_cast<Deferred*>(arg);
    if (!is_hello(req)) return evhttp_send_error(req, 404, nullptr);
    {
      std::lock_guard lock(d->in_mu);
      d->in.push_back(req);
    }
    d->in_cv.notify_one();
  }
  static void on_wake(evutil_socket_t, short, void* arg) {
    auto* d = static_cast<Deferred*>(arg);
    std::vector<evhttp_request*> batch;
    {
      std::lock_guard lock(d->out_mu);
      batch.swap(d->out);
    }
    for (evhttp_request* req : batch) reply(req);
  }
};

}  // namespace

int main(int argc, char** argv) {
  bool deferred = false;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--deferred") {
      deferred = true;
    } else if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: wactor-http-native [--deferred] [--port N]\n");
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  evthread_use_pthreads();
  event_base* base = event_base_new();
  evhttp* http = evhttp_new(base);
  if (!base || !http) return 1;
  // As ServerOptions' defaults.
  evhttp_set_max_headers_size(http, 16 * 1024);
  evhttp_set_max_body_size(http, 1 << 20);
  evhttp_set_timeout(http, 10);
  Deferred d;
  std::thread worker;
  if (deferred) {
    d.wake = event_new(base, -1, 0, &Deferred::on_wake, &d);
    evhttp_set_gencb(http, &Deferred::on_request, &d);
    worker = std::thread([&d] { d.worker(); });
    worker.detach();
  } else {
    evhttp_set_gencb(http, &on_inline, nullptr);
  }
  evhttp_bound_socket* bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", static_cast<ev_uint16_t>(port));
  if (!bound) {
    std::fprintf(stderr, "wactor-http-native: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&sa), &len);
  std::fprintf(stderr, "wactor-http-native: listening on http://127.0.0.1:%u\n", ntohs(sa.sin_port));
  event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
  return 0;
}
