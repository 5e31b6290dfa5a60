/* boss: on "jobs <n>" spawns a worker per job (ids "job.1" .. "job.<n>", module "worker"),
 * monitors it and sends it "sum <k>". A worker answers "done <id> <sum>", or "error <id>
 * <why>": then the boss sends the job again 50 ms later with send-after. On a result the
 * boss stops the worker; the "$down <id> stopped" notice that follows ends the job, and
 * after the last one the boss logs "all <n> jobs done". Config: the job that is flaky. */
#define WACTOR_IMPLEMENTATION
#define WACTOR_WANT_INIT
#include "wactor.h"

#define MAX_JOBS 64

static int flaky_job;
static int jobs;
static int ended;
static int failed;
static char ended_job[MAX_JOBS + 1];
static char buf[512];

int wactor_on_init(const char* config, int len) {
  const char* p = config;
  flaky_job = (int)wactor_parse_i64(&p, config + len);
  return 0;
}

static void say(wactor_text* t) { wactor_log_raw(WACTOR_INFO, t->buf, t->len); }

/* "job.<k>" -> k, or 0. */
static int job_number(const char* id, int len) {
  if (!wactor_starts_with(id, len, "job.")) return 0;
  const char* p = id + 4;
  wactor_i64 k = wactor_parse_i64(&p, id + len);
  return p == id + len && k >= 1 && k <= jobs ? (int)k : 0;
}

static void job_message(wactor_text* t, int k) {
  t->len = 0;
  wactor_text_str(t, "sum ");
  wactor_text_i64(t, k);
}

static int start_jobs(int n) {
  jobs = n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
  char id[16];
  wactor_text t = {buf, 0, sizeof buf};
  for (int k = 1; k <= jobs; ++k) {
    wactor_text it = {id, 0, sizeof id - 1};
    wactor_text_str(&it, "job.");
    wactor_text_i64(&it, k);
    id[it.len] = 0;
    int rc = wactor_spawn("worker", id, k == flaky_job ? "flaky" : "");
    if (rc == WACTOR_OK) rc = wactor_monitor(id);
    if (rc == WACTOR_OK) {
      job_message(&t, k);
      rc = wactor_send(id, t.buf, t.len);
    }
    if (rc != WACTOR_OK) {
      t.len = 0;
      wactor_text_str(&t, "cannot start ");
      wactor_text_str(&t, id);
      wactor_text_str(&t, ": status ");
      wactor_text_i64(&t, rc);
      say(&t);
      return 1;
    }
  }
  return 0;
}

int wactor_on_message(const char* sender, int sender_len, const wactor_u8* payload, int len) {
  const char* p = (const char*)payload;
  const char* end = p + len;
  wactor_text t = {buf, 0, sizeof buf};
  wactor_down down;
  if (wactor_parse_down(sender, sender_len, payload, len, &down)) {
    int k = job_number(down.target, down.target_len);
    if (k == 0 || ended_job[k]) return 0;
    ended_job[k] = 1;
    ++ended;
    if (!wactor_down_reason_is(&down, "stopped")) ++failed;
    wactor_text_put(&t, down.target, down.target_len);
    wactor_text_str(&t, " down: ");
    wactor_text_put(&t, down.reason, down.reason_len);
    say(&t);
    if (ended == jobs) {
      t.len = 0;
      if (failed == 0) {
        wactor_text_str(&t, "all ");
        wactor_text_i64(&t, jobs);
        wactor_text_str(&t, " jobs done");
      } else {
        wactor_text_i64(&t, failed);
        wactor_text_str(&t, " of ");
        wactor_text_i64(&t, jobs);
        wactor_text_str(&t, " jobs failed");
      }
      say(&t);
    }
    return 0;
  }
  if (wactor_starts_with(p, len, "jobs ")) {
    p += 5;
    return start_jobs((int)wactor_parse_i64(&p, end));
  }
  /* "done <id> <sum>" or "error <id> <why>" from a worker. */
  int is_done = wactor_starts_with(p, len, "done ");
  if (!is_done && !wactor_starts_with(p, len, "error ")) return 0;
  p += is_done ? 5 : 6;
  const char* id = p;
  while (p < end && *p != ' ') ++p;
  int id_len = (int)(p - id);
  int k = job_number(id, id_len);
  if (k == 0 || id_len != sender_len || !wactor_memeq(id, sender, id_len)) return 0;
  if (p < end) ++p;
  wactor_text_put(&t, id, id_len);
  if (is_done) {
    wactor_text_str(&t, " = ");
    wactor_text_put(&t, p, (int)(end - p));
    say(&t);
    int rc = wactor_stop_raw(id, id_len);
    if (rc != WACTOR_OK) {
      t.len = 0;
      wactor_text_str(&t, "stop failed: status ");
      wactor_text_i64(&t, rc);
      say(&t);
    }
    return 0;
  }
  wactor_text_str(&t, " failed (");
  wactor_text_put(&t, p, (int)(end - p));
  wactor_text_str(&t, "), retrying in 50 ms");
  say(&t);
  job_message(&t, k);
  wactor_i64 timer = wactor_send_after_raw(id, id_len, t.buf, t.len, 50);
  return timer > 0 ? 0 : 1;
}
