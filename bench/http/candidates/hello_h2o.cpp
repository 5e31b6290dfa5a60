// Candidate: libh2o-evloop 2.2.5 (Debian libh2o-evloop-dev, C library), one evloop thread.
// GET /hello -> 200 "hello", keep-alive. Usage: hello_h2o PORT [deferred]
// "deferred": the handler returns without a response (h2o's way for asynchronous handlers), a
// worker thread (deferred_queue.h) wakes the loop through h2o_multithread_send_message, and the
// loop thread sends the replies.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <h2o.h>

#include "deferred_queue.h"

namespace {

h2o_globalconf_t config;
h2o_context_t ctx;
h2o_accept_ctx_t accept_ctx;

using Queue = DeferredQueue<h2o_req_t*>;
Queue* g_queue = nullptr;  // non-null in the deferred variant
h2o_multithread_receiver_t g_receiver;
// Zero-initialised (unlinked); in flight at most once: sent only when the batch was empty, and
// on_wake unlinks it before taking the batch.
h2o_multithread_message_t g_wake_message;

h2o_generator_t generator = {nullptr, nullptr};

void send_hello(h2o_req_t* req) {
  static char body[] = "hello";
  req->res.status = 200;
  req->res.reason = "OK";
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, nullptr,
                 H2O_STRLIT("text/plain"));
  h2o_start_response(req, &generator);
  h2o_iovec_t buf = h2o_iovec_init(body, 5);
  h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
}

int on_hello(h2o_handler_t*, h2o_req_t* req) {
  if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"))) return -1;
  if (g_queue != nullptr) {
    g_queue->submit(req);  // answered later, from on_wake
  } else {
    send_hello(req);
  }
  return 0;
}

void on_wake(h2o_multithread_receiver_t*, h2o_linklist_t* messages) {
  while (!h2o_linklist_is_empty(messages)) h2o_linklist_unlink(messages->next);
  for (h2o_req_t* req : g_queue->take_done()) send_hello(req);
}

void on_accept(h2o_socket_t* listener, const char* err) {
  if (err != nullptr) return;
  h2o_socket_t* sock = h2o_evloop_socket_accept(listener);
  if (sock != nullptr) h2o_accept(&accept_ctx, sock);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [deferred]\n", argv[0]);
    return 2;
  }
  h2o_config_init(&config);
  h2o_hostconf_t* host =
      h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* path = h2o_config_register_path(host, "/hello", 0);
  h2o_handler_t* handler = h2o_create_handler(path, sizeof(*handler));
  handler->on_req = on_hello;
  h2o_context_init(&ctx, h2o_evloop_create(), &config);
  accept_ctx.ctx = &ctx;
  accept_ctx.hosts = config.hosts;

  Queue queue;
  if (argc > 2 && std::strcmp(argv[2], "deferred") == 0) {
    g_queue = &queue;
    h2o_multithread_register_receiver(ctx.queue, &g_receiver, on_wake);
    queue.start([] { h2o_multithread_send_message(&g_receiver, &g_wake_message); });
  }

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    std::perror("bind");
    return 1;
  }
  h2o_socket_t* listener = h2o_evloop_socket_create(ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
  h2o_socket_read_start(listener, on_accept);
  while (h2o_evloop_run(ctx.loop, INT32_MAX) == 0) {
  }
  return 0;
}
