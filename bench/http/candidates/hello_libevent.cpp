// Candidate: libevent 2.1 evhttp (Debian libevent-dev). GET /hello -> 200 "hello", keep-alive.
// One event-loop thread. Usage: hello_libevent PORT [deferred|deferred-eventfd] [changelist]
// "deferred": the handler queues the request to a worker thread (deferred_queue.h); the worker
// hands it back through a mutex-protected completion queue and event_active() on a wake event
// (evthread_use_pthreads), and the loop thread sends the reply (the pattern wactor uses: the
// reply comes from another thread).
// "deferred-eventfd": the same, but the worker wakes the loop by writing an eventfd that a
// persistent EV_READ event watches; no libevent call from the worker, no evthread locking.
// "changelist": EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST. evhttp disables and re-enables the
// connection's read/write events around each request (4 epoll_ctl per request by default); the
// changelist folds the changes made within one loop iteration into one epoll_ctl per fd (2 per
// request). libevent's caveat: wrong with fds cloned by dup() sharing an epoll registration.
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "deferred_queue.h"

namespace {

void send_hello(evhttp_request* req) {
  evbuffer_add(evhttp_request_get_output_buffer(req), "hello", 5);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
  evhttp_send_reply(req, 200, "OK", nullptr);
}

void on_hello(evhttp_request* req, void*) {
  if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
    evhttp_send_error(req, 405, nullptr);
    return;
  }
  send_hello(req);
}

using Queue = DeferredQueue<evhttp_request*>;
event* g_wake = nullptr;

void on_hello_deferred(evhttp_request* req, void* arg) {
  if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
    evhttp_send_error(req, 405, nullptr);
    return;
  }
  static_cast<Queue*>(arg)->submit(req);
}

void on_wake(evutil_socket_t, short, void* arg) {
  for (evhttp_request* req : static_cast<Queue*>(arg)->take_done()) send_hello(req);
}

void on_wake_fd(evutil_socket_t fd, short, void* arg) {
  eventfd_t n;
  eventfd_read(fd, &n);  // before take_done: a wake racing with it only causes an empty pass
  on_wake(fd, 0, arg);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [deferred|deferred-eventfd] [changelist]\n", argv[0]);
    return 2;
  }
  bool deferred = false, deferred_fd = false, changelist = false;
  for (int i = 2; i < argc; ++i) {
    deferred |= std::strcmp(argv[i], "deferred") == 0;
    deferred_fd |= std::strcmp(argv[i], "deferred-eventfd") == 0;
    changelist |= std::strcmp(argv[i], "changelist") == 0;
  }
  if (deferred && evthread_use_pthreads() != 0) return 1;
  event_config* cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
  if (changelist) event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  evhttp* http = evhttp_new(base);
  evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
  evhttp_set_max_headers_size(http, 8192);
  evhttp_set_max_body_size(http, 1 << 20);
  evhttp_set_timeout(http, 30);
  Queue queue;
  if (deferred) {
    g_wake = event_new(base, -1, 0, on_wake, &queue);
    evhttp_set_cb(http, "/hello", on_hello_deferred, &queue);
    queue.start([] { event_active(g_wake, EV_READ, 0); });  // thread-safe after evthread_use_pthreads
  } else if (deferred_fd) {
    static int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    event_add(event_new(base, efd, EV_READ | EV_PERSIST, on_wake_fd, &queue), nullptr);
    evhttp_set_cb(http, "/hello", on_hello_deferred, &queue);
    queue.start([] { eventfd_write(efd, 1); });
  } else {
    evhttp_set_cb(http, "/hello", on_hello, nullptr);
  }
  if (evhttp_bind_socket(http, "127.0.0.1", static_cast<ev_uint16_t>(std::atoi(argv[1]))) != 0) {
    std::perror("bind");
    return 1;
  }
  return event_base_dispatch(base);
}
