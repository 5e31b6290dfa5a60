// Candidate: cpp-httplib 0.11 (Debian libcpp-httplib-dev, split build: header + libcpp-httplib.so).
// GET /hello -> 200 "hello", keep-alive. Usage: hello_httplib PORT [nodelay] [threads=N]
// Threading is cpp-httplib's own: a blocking thread pool, one pool thread per connection for the
// whole keep-alive life of the connection (default pool: max(8, cores - 1) = 8 threads here;
// default keep-alive: at most 5 requests per connection, then it closes). A handler must return the
// response; there is no way to answer later from another thread without blocking the pool thread.
// Default: no TCP_NODELAY, and it writes header and body separately, so keep-alive requests meet
// Nagle + delayed ACK (~40 ms each); "nodelay" calls set_tcp_nodelay(true).
#include <httplib.h>

#include <cstdlib>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [threads]\n", argv[0]);
    return 2;
  }
  httplib::Server svr;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "nodelay") == 0) {
      svr.set_tcp_nodelay(true);
    } else if (std::strncmp(argv[i], "threads=", 8) == 0) {
      size_t n = static_cast<size_t>(std::atoi(argv[i] + 8));
      svr.new_task_queue = [n] { return new httplib::ThreadPool(n); };
    }
  }
  svr.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hello", "text/plain");
  });
  if (!svr.listen("127.0.0.1", std::atoi(argv[1]))) {
    std::perror("listen");
    return 1;
  }
  return 0;
}
