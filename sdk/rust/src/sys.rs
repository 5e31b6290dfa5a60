//! The raw imports of docs/ABI.md (module `wactor`), exactly as the host declares them.
//! Only the ones a guest calls end up imported by its module.
#![allow(missing_docs)]

#[link(wasm_import_module = "wactor")]
extern "C" {
    pub fn send(target: *const u8, target_len: usize, payload: *const u8, payload_len: usize) -> i32;
    pub fn request(target: *const u8, target_len: usize, payload: *const u8, payload_len: usize, timeout_ms: i32)
        -> i64;
    pub fn respond(request_id: i64, is_error: i32, payload: *const u8, payload_len: usize) -> i32;
    #[link_name = "current-request"]
    pub fn current_request() -> i64;
    pub fn cancel(request_id: i64) -> i32;
    #[link_name = "self-id"]
    pub fn self_id(buf: *mut u8, cap: usize) -> i32;
    pub fn log(level: i32, msg: *const u8, len: usize);
    #[link_name = "now-ms"]
    pub fn now_ms() -> i64;
    pub fn subscribe(pattern: *const u8, len: usize) -> i32;
    pub fn unsubscribe(pattern: *const u8, len: usize) -> i32;
    pub fn publish(topic: *const u8, topic_len: usize, payload: *const u8, payload_len: usize) -> i32;
    pub fn broadcast(payload: *const u8, payload_len: usize) -> i32;
    #[link_name = "current-topic"]
    pub fn current_topic(buf: *mut u8, cap: usize) -> i32;
    pub fn spawn(module: *const u8, module_len: usize, id: *const u8, id_len: usize, config: *const u8,
                 config_len: usize) -> i32;
    pub fn stop(target: *const u8, target_len: usize) -> i32;
    #[link_name = "send-after"]
    pub fn send_after(target: *const u8, target_len: usize, payload: *const u8, payload_len: usize, delay_ms: i32)
        -> i64;
    #[link_name = "cancel-timer"]
    pub fn cancel_timer(timer_id: i64) -> i32;
    pub fn monitor(target: *const u8, target_len: usize) -> i32;
    pub fn demonitor(target: *const u8, target_len: usize) -> i32;
    #[link_name = "http-info"]
    pub fn http_info(request_id: i64, what: i32, name: *const u8, name_len: usize, buf: *mut u8, cap: usize) -> i32;
    #[link_name = "http-set-status"]
    pub fn http_set_status(request_id: i64, status: i32) -> i32;
    #[link_name = "http-set-header"]
    pub fn http_set_header(request_id: i64, name: *const u8, name_len: usize, value: *const u8, value_len: usize)
        -> i32;
    // Storage (issue 13): per-component key-value store, atomic with each handler.
    #[link_name = "kv-get"]
    pub fn kv_get(key: *const u8, key_len: usize, buf: *mut u8, cap: usize) -> i32;
    #[link_name = "kv-set"]
    pub fn kv_set(key: *const u8, key_len: usize, val: *const u8, val_len: usize) -> i32;
    #[link_name = "kv-delete"]
    pub fn kv_delete(key: *const u8, key_len: usize) -> i32;
    #[link_name = "kv-list"]
    pub fn kv_list(prefix: *const u8, prefix_len: usize, after: *const u8, after_len: usize, buf: *mut u8, cap: usize) -> i32;
    #[link_name = "kv-usage"]
    pub fn kv_usage() -> i64;
}
