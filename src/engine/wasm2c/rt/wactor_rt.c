/* wactor's implementation of the wasm2c runtime (see wasm-rt.h), compiled into every
 * generated shared object together with the glue. Everything here is per shared object:
 * the function-type registry is filled once by the object's constructor and read-only
 * afterwards; memories and tables belong to one instance. Per-thread state (the unwind
 * target of the export call in progress, its trap code, the memory limit during
 * instantiation) lives in the host, reached through a function the host binds once after
 * loading the object: the object itself has no thread-locals (a dlopen'ed object's
 * thread-locals outlive its dlclose in the eyes of LeakSanitizer, which then crashes). */
#include <stdarg.h>

#include <sys/mman.h>

#include "wasm-rt.h"

#define WACTOR_EXPORT __attribute__((visibility("default")))
#define WACTOR_PAGE 65536u
/* The byte size is a uint32_t, so 65535 pages is the most a memory can hold here. */
#define WACTOR_MAX_PAGES 65535u
#define WACTOR_MAX_TABLE_ELEMENTS 10000000u

typedef union {
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
} wactor_val;

/* Calls host function `import` of the instance `host`; nonzero means "trap the caller"
 * (the host keeps the message). Never unwound: the glue traps only after it returned. */
typedef int (*wactor_host_call_fn)(void* host, uint32_t import, const wactor_val* args, wactor_val* results);
typedef void (*wactor_trampoline)(void* box, const wactor_val* args, wactor_val* results);

/* In front of wasm2c's instance struct (see the glue's wactor_box). */
typedef struct {
  void* host;
  wactor_host_call_fn host_call;
  const char* stack_limit; /* trap with "call stack exhausted" below this address */
} wactor_header;

/* The host's per-thread state; the same layout as WactorThreadState in aot_engine.cpp. */
typedef struct {
  void** unwind_target;   /* the export call in progress on this thread */
  int trap_code;          /* why it unwound */
  uint32_t memory_cap;    /* the instance limit on memory pages, while an instance is created */
  void* exception_target; /* wasm_rt_{get,set}_unwind_target (exceptions are not enabled) */
} wactor_thread_state;
typedef wactor_thread_state* (*wactor_thread_state_fn)(void);
static wactor_thread_state_fn wactor_thread; /* set once, right after dlopen */
WACTOR_EXPORT void wactor_bind(wactor_thread_state_fn fn) { wactor_thread = fn; }

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code) {
  wactor_thread_state* ts = wactor_thread();
  ts->trap_code = (int)code;
  /* Generated code only runs under wactor_call, so there always is a target. */
  if (!ts->unwind_target) abort();
  __builtin_longjmp(ts->unwind_target, 1);
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no trap";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "indirect call to a null or mistyped table element";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    case WACTOR_TRAP_HOST: return "host function trapped";
    case WACTOR_TRAP_OUT_OF_MEMORY: return "out of memory";
  }
  return "unknown trap";
}

#ifdef WACTOR_FUEL_REGISTER
/* The glue's: where the instance keeps its fuel counter while no guest code runs. */
static uint64_t* wactor_fuel_field(void* box);
#endif

/* Runs fn(box, args, results) with a trap guard: returns 0, or the trap code after a trap
 * (the instance's stack limit restored). Nests: a host call may call another instance.
 * `stack_limit`: the lowest native stack address guest code may use on this thread.
 * With WACTOR_FUEL_REGISTER (the glue's wactor_fuel, r15): the counter is loaded from the
 * instance here and stored back on both exits; the caller's r15 (callee-saved in the C ABI,
 * and never saved by a function of this object, where r15 is reserved) is kept on the stack
 * and put back. __builtin_longjmp leaves r15 alone, so after a trap it holds the counter as
 * the trapping code left it. */
WACTOR_EXPORT int wactor_call(void* box, wactor_trampoline fn, const wactor_val* args, wactor_val* results,
                              const void* stack_limit) {
  wactor_header* header = (wactor_header*)box;
#ifdef WACTOR_FUEL_REGISTER
  volatile uint64_t caller_r15 = wactor_fuel;
#endif
  wactor_thread_state* ts = wactor_thread();
  void* buf[5];
  void** prev = ts->unwind_target;
  const char* prev_limit = header->stack_limit;
  header->stack_limit = (const char*)stack_limit;
  if (__builtin_setjmp(buf)) {
    ts->unwind_target = prev;
    header->stack_limit = prev_limit;
#ifdef WACTOR_FUEL_REGISTER
    *wactor_fuel_field(box) = wactor_fuel;
    wactor_fuel = caller_r15;
#endif
    return ts->trap_code;
  }
  ts->unwind_target = buf;
#ifdef WACTOR_FUEL_REGISTER
  wactor_fuel = *wactor_fuel_field(box);
#endif
  fn(box, args, results);
#ifdef WACTOR_FUEL_REGISTER
  *wactor_fuel_field(box) = wactor_fuel;
  wactor_fuel = caller_r15;
#endif
  ts->unwind_target = prev;
  header->stack_limit = prev_limit;
  return 0;
}

/* ---- function types (per shared object, written only by its constructor) ---- */

typedef struct {
  uint32_t params, results;
  wasm_rt_type_t* types;
} wactor_func_type;

static wactor_func_type* wactor_types;
static uint32_t wactor_type_count;
static uint32_t wactor_type_lost = 0xffffff00u;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  const uint32_t n = params + results;
  wasm_rt_type_t* types = (wasm_rt_type_t*)calloc(n ? n : 1, sizeof(wasm_rt_type_t));
  /* Out of memory: a unique index that matches nothing, so call_indirect traps, never crashes. */
  if (!types) return wactor_type_lost++;
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; ++i) types[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);
  for (uint32_t i = 0; i < wactor_type_count; ++i) {
    const wactor_func_type* t = &wactor_types[i];
    if (t->params == params && t->results == results && memcmp(t->types, types, n * sizeof *types) == 0) {
      free(types);
      return i;
    }
  }
  wactor_func_type* grown =
      (wactor_func_type*)realloc(wactor_types, (wactor_type_count + 1) * sizeof(wactor_func_type));
  if (!grown) {
    free(types);
    return wactor_type_lost++;
  }
  wactor_types = grown;
  wactor_types[wactor_type_count] = (wactor_func_type){params, results, types};
  return wactor_type_count++;
}

/* dlclose() of the object releases the registry. */
__attribute__((destructor)) static void wactor_free_func_types(void) {
  for (uint32_t i = 0; i < wactor_type_count; ++i) free(wactor_types[i].types);
  free(wactor_types);
  wactor_types = NULL;
  wactor_type_count = 0;
}

/* ---- exceptions: not enabled by wactor's validator ---- */

uint32_t wasm_rt_register_tag(uint32_t size) {
  (void)size;
  return 0;
}
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {
  (void)tag;
  (void)size;
  (void)values;
}
void wasm_rt_throw(void) { wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION); }
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) {
  return (WASM_RT_UNWIND_TARGET*)wactor_thread()->exception_target;
}
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) { wactor_thread()->exception_target = target; }
uint32_t wasm_rt_exception_tag(void) { return 0; }
uint32_t wasm_rt_exception_size(void) { return 0; }
void* wasm_rt_exception(void) { return NULL; }

/* ---- linear memory: bounds-checked by the generated code, no guard pages ----
 * A memory is an anonymous private mapping of exactly its size: its pages cost nothing
 * until the guest touches them (an idle instance is mostly untouched memory), need no
 * zeroing, and grow with mremap. When the kernel refuses a mapping (vm.max_map_count with
 * very many fragmented instances), the memory comes from malloc instead. */

static uint8_t* wactor_map(size_t bytes) {
  void* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : (uint8_t*)p;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  memory->data = NULL;
  memory->pages = 0;
  memory->size = 0;
  memory->mapped = 0;
  const uint32_t cap = wactor_thread()->memory_cap;
  if (max_pages > cap) max_pages = cap;
  memory->max_pages = max_pages;
  if (initial_pages > max_pages) wasm_rt_trap(WACTOR_TRAP_OUT_OF_MEMORY);
  if (initial_pages) {
    const size_t bytes = (size_t)initial_pages * WACTOR_PAGE;
    memory->data = wactor_map(bytes);
    if (memory->data) {
      memory->mapped = 1;
    } else {
      memory->data = (uint8_t*)calloc(initial_pages, WACTOR_PAGE);
      if (!memory->data) wasm_rt_trap(WACTOR_TRAP_OUT_OF_MEMORY);
    }
  }
  memory->pages = initial_pages;
  memory->size = initial_pages * WACTOR_PAGE;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  const uint32_t old_pages = memory->pages;
  if (delta == 0) return old_pages;
  const uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages || new_pages > WACTOR_MAX_PAGES) return (uint32_t)-1;
  const size_t old_bytes = (size_t)old_pages * WACTOR_PAGE, new_bytes = (size_t)new_pages * WACTOR_PAGE;
  uint8_t* data = NULL;
  if (memory->mapped) {
    void* p = mremap(memory->data, old_bytes, new_bytes, MREMAP_MAYMOVE); /* new pages read as zero */
    if (p != MAP_FAILED) {
      data = (uint8_t*)p;
    } else { /* the kernel refuses: continue on the heap */
      data = (uint8_t*)calloc(new_pages, WACTOR_PAGE);
      if (!data) return (uint32_t)-1;
      memcpy(data, memory->data, old_bytes);
      munmap(memory->data, old_bytes);
      memory->mapped = 0;
    }
  } else if (memory->data == NULL && (data = wactor_map(new_bytes)) != NULL) {
    memory->mapped = 1;
  } else {
    data = (uint8_t*)realloc(memory->data, new_bytes);
    if (!data) return (uint32_t)-1;
    memset(data + old_bytes, 0, new_bytes - old_bytes);
  }
  memory->data = data;
  memory->pages = (uint32_t)new_pages;
  memory->size = (uint32_t)new_bytes;
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  if (memory->mapped) {
    munmap(memory->data, (size_t)memory->pages * WACTOR_PAGE);
  } else {
    free(memory->data);
  }
  memory->mapped = 0;
  memory->data = NULL;
  memory->pages = 0;
  memory->size = 0;
}

/* ---- tables ---- */

#define WACTOR_DEFINE_TABLE(type)                                                                     \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t* table, uint32_t elements,            \
                                       uint32_t max_elements) {                                       \
    table->data = NULL;                                                                               \
    table->size = 0;                                                                                  \
    if (max_elements > WACTOR_MAX_TABLE_ELEMENTS) max_elements = WACTOR_MAX_TABLE_ELEMENTS;           \
    table->max_size = max_elements;                                                                   \
    if (elements > max_elements) wasm_rt_trap(WACTOR_TRAP_OUT_OF_MEMORY);                             \
    if (elements) {                                                                                   \
      table->data = (wasm_rt_##type##_t*)calloc(elements, sizeof(wasm_rt_##type##_t));                \
      if (!table->data) wasm_rt_trap(WACTOR_TRAP_OUT_OF_MEMORY);                                      \
      for (uint32_t i = 0; i < elements; ++i) table->data[i] = wasm_rt_##type##_null_value;           \
    }                                                                                                 \
    table->size = elements;                                                                           \
  }                                                                                                   \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t* table) {                                 \
    free(table->data);                                                                                \
    table->data = NULL;                                                                               \
    table->size = 0;                                                                                  \
  }                                                                                                   \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t* table, uint32_t delta,               \
                                       wasm_rt_##type##_t init) {                                     \
    const uint32_t old_size = table->size;                                                            \
    const uint64_t new_size = (uint64_t)old_size + delta;                                             \
    if (delta == 0) return old_size;                                                                  \
    if (new_size > table->max_size) return (uint32_t)-1;                                              \
    wasm_rt_##type##_t* data =                                                                        \
        (wasm_rt_##type##_t*)realloc(table->data, (size_t)new_size * sizeof(wasm_rt_##type##_t));     \
    if (!data) return (uint32_t)-1;                                                                   \
    for (uint64_t i = old_size; i < new_size; ++i) data[i] = init;                                    \
    table->data = data;                                                                               \
    table->size = (uint32_t)new_size;                                                                 \
    return old_size;                                                                                  \
  }

WACTOR_DEFINE_TABLE(funcref)
WACTOR_DEFINE_TABLE(externref)
