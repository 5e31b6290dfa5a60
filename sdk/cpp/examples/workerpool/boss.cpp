// boss: on "jobs <n>" spawns a worker per job (ids "job.1" .. "job.<n>", module "worker"),
// monitors it and sends it "sum <k>". A worker answers "done <id> <sum>", or "error <id>
// <why>": then the boss sends the job again 50 ms later with send_after. On a result the
// boss stops the worker; the "$down <id> stopped" notice that follows ends the job, and
// after the last one the boss logs "all <n> jobs done". Config: the job that is flaky.
#include "wactor.hpp"

using namespace wactor;

struct Boss {
  static constexpr int kMaxJobs = 64;
  int flaky_job = 0;
  int jobs = 0;
  int ended = 0;
  int failed = 0;
  bool ended_job[kMaxJobs + 1] = {};

  int on_init(str config) {
    flaky_job = static_cast<int>(parse_int(config));
    return 0;
  }

  // "job.<k>" -> k, or 0.
  int job_number(str id) const {
    if (!id.starts_with("job.")) return 0;
    str rest = id.substr(4);
    const i64 k = parse_int(rest);
    return rest.empty() && k >= 1 && k <= jobs ? static_cast<int>(k) : 0;
  }

  static Text<16> job_message(int k) {
    Text<16> t;
    t << "sum " << k;
    return t;
  }

  int start_jobs(int n) {
    jobs = n < 1 ? 1 : n > kMaxJobs ? kMaxJobs : n;
    for (int k = 1; k <= jobs; ++k) {
      Text<16> id;
      id << "job." << k;
      Status s = spawn("worker", id, k == flaky_job ? "flaky" : "");
      if (ok(s)) s = monitor(id);
      if (ok(s)) s = send(id, job_message(k));
      if (!ok(s)) {
        Text<64> t;
        t << "cannot start " << id.view() << ": " << s;
        info(t);
        return 1;
      }
    }
    return 0;
  }

  int on_message(const Message& m) {
    Down down;
    Text<256> t;
    if (m.down(down)) {
      const int k = job_number(down.target);
      if (k == 0 || ended_job[k]) return 0;
      ended_job[k] = true;
      ++ended;
      if (down.reason != str("stopped")) ++failed;
      t << down.target << " down: " << down.reason;
      info(t);
      if (ended == jobs) {
        t.clear();
        if (failed == 0) t << "all " << jobs << " jobs done";
        else t << failed << " of " << jobs << " jobs failed";
        info(t);
      }
      return 0;
    }
    str rest = m.text();
    const str verb = next_word(rest);
    if (verb == str("jobs")) return start_jobs(static_cast<int>(parse_int(rest)));
    // "done <id> <sum>" or "error <id> <why>" from a worker.
    if (verb != str("done") && verb != str("error")) return 0;
    const str id = next_word(rest);
    const int k = job_number(id);
    if (k == 0 || id != m.sender) return 0;
    if (!rest.empty()) rest = rest.substr(1);
    if (verb == str("done")) {
      t << id << " = " << rest;
      info(t);
      if (const Status s = stop(id); !ok(s)) {
        t.clear();
        t << "stop failed: " << s;
        info(t);
      }
      return 0;
    }
    t << id << " failed (" << rest << "), retrying in 50 ms";
    info(t);
    return send_after(id, job_message(k), 50) ? 0 : 1;
  }
};

WACTOR_COMPONENT(Boss);
