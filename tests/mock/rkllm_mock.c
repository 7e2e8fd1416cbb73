/*
 * rkllm_mock.c — a mock librkllmrt.so implementing the RKLLM runtime C ABI (v1.2.3 or v1.3.0,
 * chosen with -DRKLLM_ABI) without any NPU. It produces deterministic text, simulates the KV
 * cache, honours abort/pause, and writes a JSON-lines call log so tests can check exactly what
 * the server passed across the FFI boundary. Behaviour is steered by RKLLM_MOCK_* environment
 * variables, read at every rkllm_init / rkllm_run call (see README.md in this folder).
 *
 * Exports exactly the 15 rkllm_* functions (built with -fvisibility=hidden).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "rkllm.h"
#pragma GCC visibility pop

#define MOCK_API __attribute__((visibility("default")))

#if RKLLM_ABI == 130
#define MOCK_VERSION "1.3.0"
typedef RKLLMCallback* InitCallbackArg;
#else
#define MOCK_VERSION "1.2.3"
typedef LLMResultCallback InitCallbackArg;
#endif

#define HIDDEN_EMBD_SIZE 64
#define LOGITS_VOCAB_SIZE 128
#define MOCK_MEMORY_MB 1234.5f
#define MAX_LOGGED_IDS 256

/* ============================================================================================
 * Time
 * ========================================================================================== */

static struct timespec g_t0;

__attribute__((constructor)) static void mock_on_load(void) {
    clock_gettime(CLOCK_MONOTONIC, &g_t0);
}

/* Monotonic milliseconds since the library was loaded. */
static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - g_t0.tv_sec) * 1000.0 + (double)(t.tv_nsec - g_t0.tv_nsec) / 1e6;
}

static void sleep_ns(long ns) {
    struct timespec req = {ns / 1000000000L, ns % 1000000000L};
    struct timespec rem;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

static void sleep_ms_plain(long ms) {
    if (ms <= 0) return;
    double end = now_ms() + (double)ms;
    for (;;) {
        double left = end - now_ms();
        if (left <= 0) return;
        sleep_ns(left >= 100.0 ? 100000000L : (long)(left * 1e6));
    }
}

/* ============================================================================================
 * Growable byte buffer + JSON writer
 * ========================================================================================== */

typedef struct {
    char* p;
    size_t n, cap;
    bool comma; /* a member was written at the current nesting level */
    bool oom;
} Buf;

static void buf_raw(Buf* b, const void* s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n + 1) c *= 2;
        char* q = realloc(b->p, c);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = c;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_cstr(Buf* b, const char* s) {
    buf_raw(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void buf_fmt(Buf* b, const char* fmt, ...) {
    char tmp[160];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k >= sizeof tmp) k = (int)sizeof tmp - 1;
    buf_raw(b, tmp, (size_t)k);
}

static void buf_free(Buf* b) {
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_valid_len(const unsigned char* s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (len > n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

/* JSON string literal. Valid UTF-8 passes through, invalid bytes become U+FFFD. */
static void json_strn(Buf* b, const char* s, size_t n) {
    const unsigned char* u = (const unsigned char*)s;
    buf_raw(b, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
            run++;
        if (run > i) {
            buf_raw(b, u + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"') {
            buf_raw(b, "\\\"", 2);
            i++;
        } else if (c == '\\') {
            buf_raw(b, "\\\\", 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': buf_raw(b, "\\n", 2); break;
            case '\r': buf_raw(b, "\\r", 2); break;
            case '\t': buf_raw(b, "\\t", 2); break;
            case '\b': buf_raw(b, "\\b", 2); break;
            case '\f': buf_raw(b, "\\f", 2); break;
            default: buf_fmt(b, "\\u%04x", (unsigned)c); break;
            }
            i++;
        } else {
            size_t len = utf8_valid_len(u + i, n - i);
            if (len) {
                buf_raw(b, u + i, len);
                i += len;
            } else {
                buf_raw(b, "\xEF\xBF\xBD", 3);
                i++;
            }
        }
    }
    buf_raw(b, "\"", 1);
}

static void json_key(Buf* b, const char* k) {
    if (b->comma) buf_raw(b, ",", 1);
    buf_raw(b, "\"", 1);
    buf_cstr(b, k);
    buf_raw(b, "\":", 2);
    b->comma = true;
}

static void jk_str(Buf* b, const char* k, const char* s) {
    json_key(b, k);
    if (s)
        json_strn(b, s, strlen(s));
    else
        buf_raw(b, "null", 4);
}

static void jk_strn(Buf* b, const char* k, const char* s, size_t n) {
    json_key(b, k);
    json_strn(b, s, n);
}

static void jk_int(Buf* b, const char* k, long long v) {
    json_key(b, k);
    buf_fmt(b, "%lld", v);
}

static void jk_bool(Buf* b, const char* k, bool v) {
    json_key(b, k);
    buf_cstr(b, v ? "true" : "false");
}

static void jk_null(Buf* b, const char* k) {
    json_key(b, k);
    buf_raw(b, "null", 4);
}

/* A float with the fewest digits that read back to the same float (0.9f -> 0.9). */
static void json_float(Buf* b, float f) {
    if (!isfinite(f)) {
        buf_raw(b, "null", 4);
        return;
    }
    char tmp[48];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
        if (strtof(tmp, NULL) == f) break;
    }
    buf_cstr(b, tmp);
}

static void jk_float(Buf* b, const char* k, float v) {
    json_key(b, k);
    json_float(b, v);
}

static void jk_ms(Buf* b, const char* k, double ms) {
    json_key(b, k);
    buf_fmt(b, "%.3f", ms);
}

static void jk_obj_begin(Buf* b, const char* k) {
    json_key(b, k);
    buf_raw(b, "{", 1);
    b->comma = false;
}

static void jk_arr_begin(Buf* b, const char* k) {
    json_key(b, k);
    buf_raw(b, "[", 1);
    b->comma = false;
}

static void json_obj_end(Buf* b) {
    buf_raw(b, "}", 1);
    b->comma = true;
}

static void json_arr_end(Buf* b) {
    buf_raw(b, "]", 1);
    b->comma = true;
}

static void json_elem_int(Buf* b, long long v) {
    if (b->comma) buf_raw(b, ",", 1);
    buf_fmt(b, "%lld", v);
    b->comma = true;
}

/* ============================================================================================
 * Call log (RKLLM_MOCK_LOG): one JSON object per line, appended with a single write().
 * ========================================================================================== */

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long g_seq;

/* Starts a log record; seq and t_ms are prepended when it is written. */
static void ev_begin(Buf* b, const char* fn, const char* event) {
    memset(b, 0, sizeof *b);
    jk_str(b, "fn", fn);
    jk_str(b, "event", event);
}

/* Writes the record (if RKLLM_MOCK_LOG is set) and frees it. */
static void ev_emit(Buf* body) {
    const char* path = getenv("RKLLM_MOCK_LOG");
    if (path && *path && !body->oom) {
        pthread_mutex_lock(&g_log_mu);
        Buf line = {0};
        buf_fmt(&line, "{\"seq\":%llu,\"t_ms\":%.3f,", ++g_seq, now_ms());
        buf_raw(&line, body->p, body->n);
        buf_raw(&line, "}\n", 2);
        if (!line.oom) {
            int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0) {
                size_t off = 0;
                while (off < line.n) {
                    ssize_t w = write(fd, line.p + off, line.n - off);
                    if (w < 0) {
                        if (errno == EINTR) continue;
                        break;
                    }
                    off += (size_t)w;
                }
                close(fd);
            }
        }
        buf_free(&line);
        pthread_mutex_unlock(&g_log_mu);
    }
    buf_free(body);
}

/* ============================================================================================
 * Configuration from the environment
 * ========================================================================================== */

static long env_long(const char* name, long dflt) {
    const char* v = getenv(name);
    if (!v || !*v) return dflt;
    char* end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno != 0 || end == v) return dflt;
    while (*end == ' ' || *end == '\t') end++;
    return *end ? dflt : x;
}

static bool env_flag(const char* name) {
    const char* v = getenv(name);
    if (!v) return false;
    return strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
           strcmp(v, "on") == 0;
}

enum { KEEP0_CLEAR = 0, KEEP0_ROLLBACK = 1, KEEP0_REUSE = 2 };
enum { ABORT_KEEPS_ALL = 0, ABORT_KEEPS_PROMPT = 1, ABORT_KEEPS_NONE = 2 };
enum { PC_OFF = 0, PC_RESTORE, PC_PREFIX, PC_IGNORE, PC_REFUSE };

static bool env_is(const char* name, const char* value) {
    const char* v = getenv(name);
    return v && strcmp(v, value) == 0;
}

static int prompt_cache_mode(void) {
    if (env_is("RKLLM_MOCK_PROMPT_CACHE", "restore")) return PC_RESTORE;
    if (env_is("RKLLM_MOCK_PROMPT_CACHE", "prefix")) return PC_PREFIX;
    if (env_is("RKLLM_MOCK_PROMPT_CACHE", "ignore")) return PC_IGNORE;
    if (env_is("RKLLM_MOCK_PROMPT_CACHE", "refuse")) return PC_REFUSE;
    return PC_OFF;
}

static const char* const KEEP0_NAMES[] = {"clear", "rollback", "reuse"};
static const char* const ABORT_KEEPS_NAMES[] = {"all", "prompt", "none"};
static const char* const PC_NAMES[] = {"off", "restore", "prefix", "ignore", "refuse"};

enum { THINK_OFF = 0, THINK_ON = 1, THINK_ALWAYS = 2, THINK_OPEN = 3 };

typedef struct {
    long prefill_ms;
    long start_delay_ms; /* before the run clears its abort flag: simulates a late-starting thread */
    int keep0;           /* KEEP0_*: what a keep_history=0 run leaves in the cache */
    long prefill_token_us; /* extra prefill delay per prefilled position */
    bool hang_stuck;       /* HANG=stuck: ignores rkllm_abort, only rkllm_destroy ends it */
    bool finish_after_abort;
    int abort_keeps;       /* ABORT_KEEPS_* for keep_history=1 runs */
    bool seed_set;
    long seed;
    int prompt_cache;      /* PC_*: how prompt-cache files are honoured */
    bool cache_saves_prompt; /* save the cache after prefill instead of after the run */
    long token_ms;
    long tokens;
    long error_at; /* -1 = never */
    long chunk;    /* 0 = word tokens */
    char* reply;   /* owned copy or NULL */
    int think;
    bool hang;
    bool split_utf8;
} RunCfg;

static void cfg_read(RunCfg* c) {
    memset(c, 0, sizeof *c);
    c->prefill_ms = env_long("RKLLM_MOCK_PREFILL_MS", 0);
    c->start_delay_ms = env_long("RKLLM_MOCK_START_DELAY_MS", 0);
    c->keep0 = env_is("RKLLM_MOCK_KEEP0", "rollback") ? KEEP0_ROLLBACK
               : env_is("RKLLM_MOCK_KEEP0", "reuse")  ? KEEP0_REUSE
                                                      : KEEP0_CLEAR;
    c->prefill_token_us = env_long("RKLLM_MOCK_PREFILL_TOKEN_US", 0);
    c->hang_stuck = env_is("RKLLM_MOCK_HANG", "stuck");
    c->finish_after_abort = env_flag("RKLLM_MOCK_FINISH_AFTER_ABORT");
    c->abort_keeps = env_is("RKLLM_MOCK_ABORT_KEEPS", "prompt") ? ABORT_KEEPS_PROMPT
                     : env_is("RKLLM_MOCK_ABORT_KEEPS", "none") ? ABORT_KEEPS_NONE
                                                                : ABORT_KEEPS_ALL;
    const char* sd = getenv("RKLLM_MOCK_SEED");
    c->seed_set = sd && *sd;
    c->seed = env_long("RKLLM_MOCK_SEED", 0);
    c->prompt_cache = prompt_cache_mode();
    c->cache_saves_prompt = env_is("RKLLM_MOCK_CACHE_SAVES", "prompt");
    c->token_ms = env_long("RKLLM_MOCK_TOKEN_MS", 0);
    c->tokens = env_long("RKLLM_MOCK_TOKENS", 32);
    if (c->tokens < 0) c->tokens = 0;
    c->error_at = env_long("RKLLM_MOCK_ERROR_AT", -1);
    if (c->error_at < -1) c->error_at = -1;
    c->chunk = env_long("RKLLM_MOCK_CHUNK", 0);
    if (c->chunk < 0) c->chunk = 0;
    const char* r = getenv("RKLLM_MOCK_REPLY");
    c->reply = r ? strdup(r) : NULL;
    const char* t = getenv("RKLLM_MOCK_THINK");
    if (t && (strcmp(t, "1") == 0 || strcmp(t, "true") == 0))
        c->think = THINK_ON;
    else if (t && strcmp(t, "always") == 0)
        c->think = THINK_ALWAYS;
    else if (t && strcmp(t, "open") == 0)
        c->think = THINK_OPEN;
    else
        c->think = THINK_OFF;
    c->hang = env_flag("RKLLM_MOCK_HANG");
    c->split_utf8 = env_flag("RKLLM_MOCK_SPLIT_UTF8");
}

static const char* think_name(int t) {
    switch (t) {
    case THINK_ON: return "1";
    case THINK_ALWAYS: return "always";
    case THINK_OPEN: return "open";
    default: return "0";
    }
}

static void cfg_log(Buf* b, const RunCfg* c) {
    jk_obj_begin(b, "mock");
    jk_int(b, "tokens", c->tokens);
    jk_str(b, "reply", c->reply);
    jk_int(b, "chunk", c->chunk);
    jk_str(b, "think", think_name(c->think));
    jk_int(b, "prefill_ms", c->prefill_ms);
    jk_int(b, "token_ms", c->token_ms);
    if (c->error_at >= 0)
        jk_int(b, "error_at", c->error_at);
    else
        jk_null(b, "error_at");
    jk_bool(b, "hang", c->hang);
    jk_bool(b, "split_utf8", c->split_utf8);
    /* The newer knobs appear only when set, so the record of a default run stays as it was. */
    if (c->keep0 != KEEP0_CLEAR) jk_str(b, "keep0", KEEP0_NAMES[c->keep0]);
    if (c->prefill_token_us) jk_int(b, "prefill_token_us", c->prefill_token_us);
    if (c->hang_stuck) jk_str(b, "hang_mode", "stuck");
    if (c->finish_after_abort) jk_bool(b, "finish_after_abort", true);
    if (c->abort_keeps != ABORT_KEEPS_ALL)
        jk_str(b, "abort_keeps", ABORT_KEEPS_NAMES[c->abort_keeps]);
    if (c->seed_set) jk_int(b, "seed", c->seed);
    if (c->prompt_cache != PC_OFF) {
        jk_str(b, "prompt_cache", PC_NAMES[c->prompt_cache]);
        jk_str(b, "cache_saves", c->cache_saves_prompt ? "prompt" : "all");
    }
    json_obj_end(b);
}

/* ============================================================================================
 * Deterministic text
 * ========================================================================================== */

static uint32_t fnv1a(const void* data, size_t n) {
    const unsigned char* p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static const char* const VOCAB[] = {
    "the",    "model",   "answer",  "river",  "stone",  "light",   "garden",      "window",
    "silver", "cloud",   "market",  "paper",  "engine", "forest",  "signal",      "orange",
    "pixel",  "music",   "ocean",   "bridge", "candle", "planet",  "thread",      "winter",
    "summer", "rocket",  "harbor",  "valley", "copper", "lantern", "meadow",      "puzzle",
    "shadow", "violet",  "marble",  "falcon", "tunnel", "velvet",  "anchor",      "kernel",
    "buffer", "vector",  "socket",  "matrix", "token",  "prompt",  "cache",       "quiet",
    "café",   "naïve",   "Zürich",  "日本語", "😀",     "—",       "über",        "façade",
    "Ελλάδα", "Москва",  "niño",    "crème",  "señor",  "→",       "smörgåsbord", "中文",
};
#define VOCAB_N (sizeof VOCAB / sizeof VOCAB[0])
_Static_assert(VOCAB_N == 64, "the mock vocabulary has 64 words");

/* Fixed reasoning words for the <think> preamble. */
static const char* const REASONING[] = {
    "Okay", ",", " the", " user", " asks", " a", " question", ".",
    " Let", " me", " answer", " it", " briefly", ".",
};
#define REASONING_N (sizeof REASONING / sizeof REASONING[0])

#define TOKEN_ID_DOT 13
#define TOKEN_ID_NEWLINE 198
#define TOKEN_ID_NEWLINE2 271
#define TOKEN_ID_THINK_OPEN 151667
#define TOKEN_ID_THINK_CLOSE 151668
#define TOKEN_ID_WORD_BASE 1000

static int32_t text_token_id(const char* s, size_t n) {
    return (int32_t)(fnv1a(s, n) % 100000u) + 20000;
}

typedef struct {
    char* s;
    size_t n;
    int32_t id;
} Tok;

typedef struct {
    Tok* v;
    size_t n, cap;
} Toks;

static void toks_push(Toks* t, const char* s, size_t n, int32_t id) {
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 64;
        Tok* q = realloc(t->v, c * sizeof *q);
        if (!q) return;
        t->v = q;
        t->cap = c;
    }
    char* copy = malloc(n + 1);
    if (!copy) return;
    if (n) memcpy(copy, s, n);
    copy[n] = '\0';
    t->v[t->n].s = copy;
    t->v[t->n].n = n;
    t->v[t->n].id = id;
    t->n++;
}

static void toks_free(Toks* t) {
    for (size_t i = 0; i < t->n; i++) free(t->v[i].s);
    free(t->v);
    memset(t, 0, sizeof *t);
}

static bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* One token per whitespace-delimited word, carrying its leading whitespace. */
static void tokens_from_words(Toks* out, const char* text) {
    size_t n = strlen(text);
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && is_space((unsigned char)text[i])) i++;
        while (i < n && !is_space((unsigned char)text[i])) i++;
        toks_push(out, text + start, i - start, text_token_id(text + start, i - start));
    }
}

/* count words from VOCAB picked by an LCG seeded with the prompt hash; sometimes a ".". */
static void tokens_generated(Toks* out, uint32_t seed, long count) {
    uint32_t st = seed;
    bool prev_dot = true;
    char word[64];
    for (long k = 0; k < count; k++) {
        st = st * 1664525u + 1013904223u;
        if (k > 0 && !prev_dot && ((st >> 24) & 7u) == 0) {
            toks_push(out, ".", 1, TOKEN_ID_DOT);
            prev_dot = true;
            continue;
        }
        size_t idx = (size_t)((st >> 16) % VOCAB_N);
        int len = snprintf(word, sizeof word, "%s%s", k == 0 ? "" : " ", VOCAB[idx]);
        toks_push(out, word, (size_t)len, TOKEN_ID_WORD_BASE + (int32_t)idx);
        prev_dot = false;
    }
}

/* Re-cuts all tokens into pieces of `chunk` bytes. */
static void tokens_rechunk(Toks* t, long chunk) {
    Buf all = {0};
    for (size_t i = 0; i < t->n; i++) buf_raw(&all, t->v[i].s, t->v[i].n);
    toks_free(t);
    for (size_t off = 0; off < all.n; off += (size_t)chunk) {
        size_t len = all.n - off < (size_t)chunk ? all.n - off : (size_t)chunk;
        toks_push(t, all.p + off, len, text_token_id(all.p + off, len));
    }
    buf_free(&all);
}

/* Splits every multi-byte UTF-8 character that lies wholly inside one token after its lead
 * byte, so the first piece ends mid-character and the next starts with continuation bytes. */
static void tokens_split_utf8(Toks* t) {
    Toks out = {0};
    for (size_t k = 0; k < t->n; k++) {
        const unsigned char* s = (const unsigned char*)t->v[k].s;
        size_t n = t->v[k].n;
        size_t start = 0;
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = s[i];
            if (c < 0xC0) continue;
            size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (i + len > n) continue;
            toks_push(&out, (const char*)s + start, i + 1 - start,
                      first ? t->v[k].id : 256 + (int32_t)s[start]);
            first = false;
            start = i + 1;
        }
        toks_push(&out, (const char*)s + start, n - start,
                  first ? t->v[k].id : 256 + (int32_t)s[start]);
    }
    toks_free(t);
    *t = out;
}

static void build_tokens(Toks* out, const RunCfg* c, uint32_t seed, bool enable_thinking) {
    bool preamble = c->think == THINK_ALWAYS ||
                    ((c->think == THINK_ON || c->think == THINK_OPEN) && enable_thinking);
    if (preamble) {
        if (c->think != THINK_OPEN) {
            toks_push(out, "<think>", 7, TOKEN_ID_THINK_OPEN);
            toks_push(out, "\n", 1, TOKEN_ID_NEWLINE);
        }
        for (size_t i = 0; i < REASONING_N; i++)
            toks_push(out, REASONING[i], strlen(REASONING[i]),
                      text_token_id(REASONING[i], strlen(REASONING[i])));
        toks_push(out, "\n", 1, TOKEN_ID_NEWLINE);
        toks_push(out, "</think>", 8, TOKEN_ID_THINK_CLOSE);
        toks_push(out, "\n\n", 2, TOKEN_ID_NEWLINE2);
    }
    if (c->reply)
        tokens_from_words(out, c->reply);
    else
        tokens_generated(out, seed, c->tokens);
    if (c->chunk > 0) tokens_rechunk(out, c->chunk);
    if (c->split_utf8) tokens_split_utf8(out);
}

/* rows x cols floats in [-1, 1); row r depends on the first min(n, 4(r+1)) seed bytes (the last
 * row on all of them), like a causal model's per-token state. */
static float* make_matrix(const unsigned char* seed, size_t seed_n, int rows, int cols) {
    float* m = malloc((size_t)rows * (size_t)cols * sizeof(float));
    if (!m) return NULL;
    for (int r = 0; r < rows; r++) {
        size_t prefix = (size_t)(r + 1) * 4;
        if (r == rows - 1 || prefix > seed_n) prefix = seed_n;
        uint32_t x = fnv1a(seed, prefix) ^ ((uint32_t)r * 0x9E3779B9u);
        if (x == 0) x = 0x12345678u;
        for (int c = 0; c < cols; c++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            m[(size_t)r * (size_t)cols + (size_t)c] = (float)(x >> 8) / 8388608.0f - 1.0f;
        }
    }
    return m;
}

/* ============================================================================================
 * KV cache content: one entry per cached position (see "KV bookkeeping" in README.md)
 * ========================================================================================== */

typedef struct {
    int n, cap;
    uint32_t* hash; /* per position: token id, or the hash of the text it stands for */
    size_t* end;    /* per position: end offset of its text in `text` */
    bool* opaque;   /* per position: no text (token ids, embeddings, image tokens) */
    char* text;
    size_t text_n, text_cap;
} Kv;

static void kv_free(Kv* k) {
    free(k->hash);
    free(k->end);
    free(k->opaque);
    free(k->text);
    memset(k, 0, sizeof *k);
}

static size_t kv_start_of(const Kv* k, int i) {
    return i > 0 ? k->end[i - 1] : 0;
}

static bool kv_push(Kv* k, const char* s, size_t n, uint32_t hash, bool opaque) {
    if (k->n == k->cap) {
        int c = k->cap ? k->cap * 2 : 256;
        uint32_t* h = realloc(k->hash, (size_t)c * sizeof *h);
        if (h) k->hash = h;
        size_t* e = realloc(k->end, (size_t)c * sizeof *e);
        if (e) k->end = e;
        bool* o = realloc(k->opaque, (size_t)c * sizeof *o);
        if (o) k->opaque = o;
        if (!h || !e || !o) return false;
        k->cap = c;
    }
    if (k->text_n + n > k->text_cap) {
        size_t c = k->text_cap ? k->text_cap : 1024;
        while (c < k->text_n + n) c *= 2;
        char* t = realloc(k->text, c);
        if (!t) return false;
        k->text = t;
        k->text_cap = c;
    }
    if (n) memcpy(k->text + k->text_n, s, n);
    k->text_n += n;
    k->hash[k->n] = hash;
    k->end[k->n] = k->text_n;
    k->opaque[k->n] = opaque;
    k->n++;
    return true;
}

static void kv_truncate(Kv* k, int n) {
    if (n < 0) n = 0;
    if (n >= k->n) return;
    k->n = n;
    k->text_n = kv_start_of(k, n);
}

/* Removes positions [s, e); later positions move down. */
static void kv_erase(Kv* k, int s, int e) {
    if (s < 0) s = 0;
    if (e > k->n) e = k->n;
    if (s >= e) return;
    size_t ts = kv_start_of(k, s), te = k->end[e - 1], cut = te - ts;
    memmove(k->text + ts, k->text + te, k->text_n - te);
    k->text_n -= cut;
    int tail = k->n - e;
    memmove(k->hash + s, k->hash + e, (size_t)tail * sizeof *k->hash);
    memmove(k->opaque + s, k->opaque + e, (size_t)tail * sizeof *k->opaque);
    for (int i = 0; i < tail; i++) k->end[s + i] = k->end[e + i] - cut;
    k->n -= e - s;
}

static bool kv_copy(Kv* dst, const Kv* src) {
    memset(dst, 0, sizeof *dst);
    for (int i = 0; i < src->n; i++) {
        size_t a = kv_start_of(src, i);
        if (!kv_push(dst, src->text + a, src->end[i] - a, src->hash[i], src->opaque[i])) {
            kv_free(dst);
            return false;
        }
    }
    return true;
}

/* FNV-1a over the positions' hashes: equal caches have equal context hashes. */
static void kv_context_hash(const Kv* k, char out[9]) {
    uint32_t h = fnv1a(k->hash, (size_t)k->n * sizeof *k->hash);
    snprintf(out, 9, "%08x", h);
}

/* Number of leading positions of `k` whose text equals the start of `p` (opaque positions never
 * match). */
static int kv_common_prefix(const Kv* k, const char* p, size_t n) {
    int i = 0;
    while (i < k->n && !k->opaque[i]) {
        size_t a = kv_start_of(k, i), e = k->end[i];
        if (e > n || e == a || memcmp(k->text + a, p + a, e - a) != 0) break;
        i++;
    }
    return i;
}

/* What a run's input adds to the cache: `text` in 4-byte chunks (the last one takes the rest),
 * then `n_opaque` positions without text (`ids` gives their hashes when set). */
typedef struct {
    const char* text;
    size_t text_n;
    const int32_t* ids;
    long long n_opaque;
    const float* rows; /* image embeddings: the first n_rows opaque positions hash their row */
    size_t row_floats;
    long long n_rows;
    bool multimodal;
    bool tags_match;      /* the prompt's <image> tags = n_image */
    uint32_t embed_hash;  /* of all image embeddings, 0 when not read */
} InputShape;

/* Positions the input takes when `skip` bytes of its text are already cached. The same rule as
 * the mock has always used: max(1, bytes / 4) for text, plus the opaque positions. */
static long long shape_positions(const InputShape* s, size_t skip) {
    long long text = (long long)((s->text_n - skip) / 4);
    long long total = text + s->n_opaque;
    return total < 1 ? 1 : total;
}

static bool kv_append_input(Kv* k, const InputShape* s, size_t skip) {
    const char* t = s->text ? s->text + skip : "";
    size_t n = s->text ? s->text_n - skip : 0;
    size_t chunks = n / 4;
    if (chunks == 0 && s->n_opaque == 0) chunks = 1; /* one position holds the short text */
    for (size_t c = 0; c < chunks; c++) {
        size_t a = c * 4, e = c + 1 == chunks ? n : a + 4;
        if (!kv_push(k, t + a, e - a, fnv1a(t + a, e - a), false)) return false;
    }
    for (long long i = 0; i < s->n_opaque; i++) {
        uint32_t h = s->ids ? (uint32_t)s->ids[i] : fnv1a(&i, sizeof i) ^ 0xA5A5A5A5u;
        if (s->rows && i < s->n_rows)
            h = fnv1a(s->rows + (size_t)i * s->row_floats, s->row_floats * sizeof(float));
        if (!kv_push(k, NULL, 0, h, true)) return false;
    }
    return true;
}

/* Prompt-cache file: a header line, then per position "hash opaque bytes\n<bytes>\n". */
static bool kv_save_file(const Kv* k, const char* path) {
    FILE* f = path ? fopen(path, "wb") : NULL;
    if (!f) return false;
    bool ok = fprintf(f, "RKLLM-MOCK-KV 1 %d\n", k->n) > 0;
    for (int i = 0; ok && i < k->n; i++) {
        size_t a = kv_start_of(k, i), len = k->end[i] - a;
        ok = fprintf(f, "%u %d %zu\n", (unsigned)k->hash[i], k->opaque[i] ? 1 : 0, len) > 0 &&
             fwrite(k->text + a, 1, len, f) == len && fputc('\n', f) != EOF;
    }
    return fclose(f) == 0 && ok;
}

static bool kv_load_file(Kv* out, const char* path) {
    memset(out, 0, sizeof *out);
    FILE* f = path ? fopen(path, "rb") : NULL;
    if (!f) return false;
    int n = -1;
    bool ok = fscanf(f, "RKLLM-MOCK-KV 1 %d", &n) == 1 && n >= 0 && fgetc(f) == '\n';
    char* tmp = NULL;
    for (int i = 0; ok && i < n; i++) {
        unsigned hash;
        int opaque;
        size_t len;
        ok = fscanf(f, "%u %d %zu", &hash, &opaque, &len) == 3 && fgetc(f) == '\n' &&
             len < ((size_t)1 << 30);
        if (!ok) break;
        char* t = realloc(tmp, len + 1);
        ok = t != NULL;
        if (!ok) break;
        tmp = t;
        ok = fread(tmp, 1, len, f) == len && fgetc(f) == '\n' &&
             kv_push(out, tmp, len, hash, opaque != 0);
    }
    free(tmp);
    fclose(f);
    if (!ok) kv_free(out);
    return ok;
}

/* ============================================================================================
 * Handles
 * ========================================================================================== */

typedef struct MockHandle {
    struct MockHandle* next;
    int id;
    char* model_path;
    RKLLMParam param; /* copy; pointer members other than model_path are cleared */
#if RKLLM_ABI == 130
    RKLLMCallback callbacks;
#else
    LLMResultCallback callback;
#endif
    Kv kv;                  /* the cached positions, guarded by g_mu */
    Kv prompt_cache;        /* RKLLM_MOCK_PROMPT_CACHE=prefix: the loaded file, guarded by g_mu */
    bool prompt_cache_loaded;
    bool paused_keep0;      /* the last run was keep_history=0 and paused: range clears valid */
#if RKLLM_ABI == 123
    char *img_start, *img_end, *img_content; /* copies of the init strings, logged per image run */
#endif
    int runs;               /* active rkllm_run/rkllm_run_async calls, guarded by g_mu */
    atomic_int abort_flag;  /* set by rkllm_abort, cleared when a run starts */
    atomic_int destroying;  /* set by rkllm_destroy, never cleared */
} MockHandle;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static MockHandle* g_handles;
static int g_next_id = 1;
static int g_active_runs; /* process-wide, for overlap detection */
static _Thread_local MockHandle* tls_in_run;

static MockHandle* lookup_locked(const void* p) {
    if (!p) return NULL;
    for (MockHandle* h = g_handles; h; h = h->next)
        if ((const void*)h == p) return h;
    return NULL;
}

static int n_batch_of(const MockHandle* h) {
    int n = h->param.extend_param.n_batch;
    return n < 1 ? 1 : n;
}

static bool is_aborted(MockHandle* h) {
    return atomic_load(&h->abort_flag) != 0 || atomic_load(&h->destroying) != 0;
}

/* Sleeps us microseconds in <= 1 ms slices; returns true as soon as the handle is aborted. */
static bool sleep_us_abortable(MockHandle* h, long long us) {
    if (us <= 0) return is_aborted(h);
    double end = now_ms() + (double)us / 1000.0;
    for (;;) {
        if (is_aborted(h)) return true;
        double left = end - now_ms();
        if (left <= 0) return false;
        sleep_ns(left >= 1.0 ? 1000000L : (long)(left * 1e6));
    }
}

/* Sleeps ms in <= 1 ms slices; returns true as soon as the handle is aborted. */
static bool sleep_ms_abortable(MockHandle* h, long ms) {
    if (ms <= 0) return is_aborted(h);
    double end = now_ms() + (double)ms;
    for (;;) {
        if (is_aborted(h)) return true;
        double left = end - now_ms();
        if (left <= 0) return false;
        sleep_ns(left >= 1.0 ? 1000000L : (long)(left * 1e6));
    }
}

/* Common start of a record about a handle: "handle" is the mock's small id or null. */
static void ev_handle(Buf* b, const char* fn, const void* p, int* id_out) {
    ev_begin(b, fn, "call");
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(p);
    int id = h ? h->id : 0;
    pthread_mutex_unlock(&g_mu);
    if (id)
        jk_int(b, "handle", id);
    else
        jk_null(b, "handle");
    if (id_out) *id_out = id;
}

static int fail_unknown_handle(Buf* b, const void* p) {
    jk_str(b, "error", p ? "unknown handle" : "NULL handle");
    jk_int(b, "ret", -1);
    ev_emit(b);
    return -1;
}

/* ============================================================================================
 * API: parameters and init
 * ========================================================================================== */

static void log_params(Buf* b, const RKLLMParam* p) {
    jk_obj_begin(b, "params");
    jk_str(b, "model_path", p->model_path);
    jk_int(b, "max_context_len", p->max_context_len);
    jk_int(b, "max_new_tokens", p->max_new_tokens);
    jk_int(b, "top_k", p->top_k);
    jk_int(b, "n_keep", p->n_keep);
    jk_float(b, "top_p", p->top_p);
    jk_float(b, "temperature", p->temperature);
    jk_float(b, "repeat_penalty", p->repeat_penalty);
    jk_float(b, "frequency_penalty", p->frequency_penalty);
    jk_float(b, "presence_penalty", p->presence_penalty);
    jk_int(b, "mirostat", p->mirostat);
    jk_float(b, "mirostat_tau", p->mirostat_tau);
    jk_float(b, "mirostat_eta", p->mirostat_eta);
    jk_bool(b, "skip_special_token", p->skip_special_token);
#if RKLLM_ABI == 130
    jk_bool(b, "ignore_eos_token", p->ignore_eos_token);
#endif
    jk_bool(b, "is_async", p->is_async);
#if RKLLM_ABI == 123
    jk_str(b, "img_start", p->img_start);
    jk_str(b, "img_end", p->img_end);
    jk_str(b, "img_content", p->img_content);
#endif
    const RKLLMExtendParam* e = &p->extend_param;
    jk_obj_begin(b, "extend_param");
    jk_int(b, "base_domain_id", e->base_domain_id);
    jk_int(b, "embed_flash", e->embed_flash);
    jk_int(b, "enabled_cpus_num", e->enabled_cpus_num);
    jk_int(b, "enabled_cpus_mask", e->enabled_cpus_mask);
    jk_int(b, "n_batch", e->n_batch);
    jk_int(b, "use_cross_attn", e->use_cross_attn);
    int nonzero = 0;
    for (size_t i = 0; i < sizeof e->reserved; i++) nonzero += e->reserved[i] != 0;
    jk_int(b, "reserved_nonzero_bytes", nonzero);
    json_obj_end(b);
    json_obj_end(b);
}

MOCK_API RKLLMParam rkllm_createDefaultParam(void) {
    RKLLMParam p;
    memset(&p, 0, sizeof p);
    p.model_path = NULL;
    p.max_context_len = 512;
    p.max_new_tokens = 512;
    p.top_k = 40;
    p.n_keep = 0;
    p.top_p = 0.9f;
    p.temperature = 0.8f;
    p.repeat_penalty = 1.1f;
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.0f;
    p.mirostat = 0;
    p.mirostat_tau = 5.0f;
    p.mirostat_eta = 0.1f;
    p.skip_special_token = false;
    p.is_async = false;
    p.extend_param.base_domain_id = 0;
    p.extend_param.embed_flash = 0;
    p.extend_param.enabled_cpus_num = 4;
    p.extend_param.enabled_cpus_mask = CPU4 | CPU5 | CPU6 | CPU7;
    p.extend_param.n_batch = 1;
    p.extend_param.use_cross_attn = 0;
    Buf b;
    ev_begin(&b, "rkllm_createDefaultParam", "call");
    log_params(&b, &p);
    ev_emit(&b);
    return p;
}

MOCK_API int rkllm_init(LLMHandle* handle, RKLLMParam* param, InitCallbackArg callback) {
    fprintf(stderr,
            "I rkllm: rkllm-runtime version: " MOCK_VERSION
            " (mock), rknpu driver version: 0.9.8, platform: RK3588\n");
    fflush(stderr);

    Buf b;
    ev_begin(&b, "rkllm_init", "call");
    jk_str(&b, "abi", MOCK_VERSION);
    long init_ms = env_long("RKLLM_MOCK_INIT_MS", 0);
    bool fail_init = env_flag("RKLLM_MOCK_FAIL_INIT");

    if (param)
        log_params(&b, param);
    else
        jk_null(&b, "params");
#if RKLLM_ABI == 130
    if (callback) {
        jk_obj_begin(&b, "callback");
        jk_bool(&b, "result_callback", callback->result_callback != NULL);
        jk_bool(&b, "result_userdata", callback->result_userdata != NULL);
        jk_bool(&b, "tokenizer_callback", callback->tokenizer_callback != NULL);
        jk_bool(&b, "embed_callback", callback->embed_callback != NULL);
        json_obj_end(&b);
    } else {
        jk_null(&b, "callback");
    }
#else
    jk_bool(&b, "callback", callback != NULL);
#endif
    jk_int(&b, "init_ms", init_ms);

    const char* error = NULL;
    char errbuf[512];
    if (!handle) {
        error = "handle pointer is NULL";
    } else if (!param) {
        error = "param is NULL";
    } else if (!param->model_path) {
        error = "model_path is NULL";
    } else {
        FILE* f = fopen(param->model_path, "rb");
        if (!f) {
            snprintf(errbuf, sizeof errbuf, "cannot open model file: %s", strerror(errno));
            error = errbuf;
        } else {
            fclose(f);
            if (param->max_context_len <= 0) error = "max_context_len must be > 0";
        }
    }
    if (!error) {
        sleep_ms_plain(init_ms);
        if (fail_init) error = "RKLLM_MOCK_FAIL_INIT";
    }

    MockHandle* h = NULL;
    if (!error) {
        h = calloc(1, sizeof *h);
        char* path = h ? strdup(param->model_path) : NULL;
        if (!h || !path) {
            free(h);
            h = NULL;
            error = "out of memory";
        } else {
            h->model_path = path;
            h->param = *param;
            h->param.model_path = path;
#if RKLLM_ABI == 123
            h->param.img_start = h->param.img_end = h->param.img_content = NULL;
            h->img_start = param->img_start ? strdup(param->img_start) : NULL;
            h->img_end = param->img_end ? strdup(param->img_end) : NULL;
            h->img_content = param->img_content ? strdup(param->img_content) : NULL;
#endif
#if RKLLM_ABI == 130
            if (callback) h->callbacks = *callback;
#else
            h->callback = callback;
#endif
            atomic_init(&h->abort_flag, 0);
            atomic_init(&h->destroying, 0);
            pthread_mutex_lock(&g_mu);
            h->id = g_next_id++;
            h->next = g_handles;
            g_handles = h;
            pthread_mutex_unlock(&g_mu);
            *handle = (LLMHandle)h;
        }
    }

    if (error) {
        fprintf(stderr, "E rkllm: mock init failed: %s\n", error);
        jk_str(&b, "error", error);
        jk_null(&b, "handle");
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    jk_int(&b, "handle", h->id);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_destroy(LLMHandle handle) {
    Buf b;
    ev_begin(&b, "rkllm_destroy", "call");
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(handle);
    if (!h) {
        pthread_mutex_unlock(&g_mu);
        jk_null(&b, "handle");
        return fail_unknown_handle(&b, handle);
    }
    jk_int(&b, "handle", h->id);
    if (tls_in_run == h) {
        /* Waiting here would deadlock: this thread is the run we would wait for. */
        pthread_mutex_unlock(&g_mu);
        jk_str(&b, "error", "rkllm_destroy called from inside a callback of this handle");
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    bool running = h->runs > 0;
    double t0 = now_ms();
    atomic_store(&h->destroying, 1);
    atomic_store(&h->abort_flag, 1);
    while (h->runs > 0) pthread_cond_wait(&g_cv, &g_mu);
    for (MockHandle** pp = &g_handles; *pp; pp = &(*pp)->next) {
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    }
    pthread_mutex_unlock(&g_mu);
    free(h->model_path);
    kv_free(&h->kv);
    kv_free(&h->prompt_cache);
#if RKLLM_ABI == 123
    free(h->img_start);
    free(h->img_end);
    free(h->img_content);
#endif
    free(h);
    jk_bool(&b, "destroy_while_running", running);
    if (running) jk_ms(&b, "waited_ms", now_ms() - t0);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

/* ============================================================================================
 * API: run
 * ========================================================================================== */

static const char* input_type_name(int t) {
    switch (t) {
    case RKLLM_INPUT_PROMPT: return "prompt";
    case RKLLM_INPUT_TOKEN: return "token";
    case RKLLM_INPUT_EMBED: return "embed";
    case RKLLM_INPUT_MULTIMODAL: return "multimodal";
    default: return "unknown";
    }
}

static int call_result_cb(MockHandle* h, RKLLMResult* r, void* ud, LLMCallState st) {
#if RKLLM_ABI == 130
    LLMResultCallback cb = h->callbacks.result_callback;
#else
    LLMResultCallback cb = h->callback;
#endif
    if (!cb) return 0;
    return cb(r, ud, st);
}

static void send_error(MockHandle* h, void* ud, const char* msg) {
    RKLLMResult r;
    memset(&r, 0, sizeof r);
    r.text = msg;
    r.token_id = -1;
    call_result_cb(h, &r, ud, RKLLM_RUN_ERROR);
}

static long long clamp_tokens(long long v) {
    if (v < 1) return 1;
    if (v > INT_MAX / 4) return INT_MAX / 4;
    return v;
}

static long long count_tags(const char* s, const char* tag) {
    long long n = 0;
    size_t k = strlen(tag);
    for (const char* p = s ? strstr(s, tag) : NULL; p; p = strstr(p + k, tag)) n++;
    return n;
}

/* Image embeddings (n_image x n_image_tokens x RKLLM_MOCK_EMBED_DIM floats): logs their size and
 * hash, checks the <image> tags, and lets their rows identify the image positions in the cache. */
static void analyse_images(Buf* b, InputShape* shape, const char* prompt, const float* embed,
                           size_t n_image, size_t n_image_tokens, const char* image_start,
                           const char* image_end, const char* image_content) {
    long dim = env_long("RKLLM_MOCK_EMBED_DIM", 64);
    if (dim < 1) dim = 64;
    long long tags = count_tags(prompt, "<image>");
    shape->multimodal = true;
    shape->tags_match = tags == (long long)n_image;
    jk_int(b, "image_tags", tags);
    jk_bool(b, "image_tags_match", tags == (long long)n_image);
    jk_int(b, "embed_dim", dim);
    jk_str(b, "image_start_used", image_start);
    jk_str(b, "image_end_used", image_end);
    jk_str(b, "image_content_used", image_content);
    size_t rows = n_image * n_image_tokens;
    if (!embed || n_image == 0 || n_image_tokens == 0 || rows > ((size_t)1 << 20) / (size_t)dim)
        return;
    size_t floats = rows * (size_t)dim;
    jk_int(b, "image_embed_floats", (long long)floats);
    char hex[9];
    shape->embed_hash = fnv1a(embed, floats * sizeof(float));
    snprintf(hex, sizeof hex, "%08x", shape->embed_hash);
    jk_str(b, "image_embed_hash", hex);
    jk_arr_begin(b, "image_hashes");
    for (size_t i = 0; i < n_image; i++) {
        size_t per = n_image_tokens * (size_t)dim;
        snprintf(hex, sizeof hex, "%08x", fnv1a(embed + i * per, per * sizeof(float)));
        if (b->comma) buf_raw(b, ",", 1);
        json_strn(b, hex, 8);
        b->comma = true;
    }
    json_arr_end(b);
    shape->rows = embed;
    shape->row_floats = (size_t)dim;
    shape->n_rows = (long long)rows;
}

/* Logs the input and works out prompt_tokens and the seed bytes for the generator. */
static bool analyse_input(Buf* b, const RKLLMInput* in, const unsigned char** seed, size_t* seed_n,
                          long long* prompt_tokens, InputShape* shape, const MockHandle* h) {
    static const char empty[] = "";
    memset(shape, 0, sizeof *shape);
    jk_str(b, "role", in->role);
    jk_bool(b, "enable_thinking", in->enable_thinking);
    jk_int(b, "input_type", in->input_type);
    jk_str(b, "input_type_name", input_type_name(in->input_type));
    *seed = (const unsigned char*)empty;
    *seed_n = 0;
    switch (in->input_type) {
    case RKLLM_INPUT_PROMPT: {
        const char* p = in->prompt_input;
        jk_str(b, "prompt", p);
        size_t n = p ? strlen(p) : 0;
        if (p) *seed = (const unsigned char*)p;
        *seed_n = n;
        *prompt_tokens = clamp_tokens((long long)(n / 4));
        shape->text = p;
        shape->text_n = n;
        return true;
    }
    case RKLLM_INPUT_TOKEN: {
        const RKLLMTokenInput* t = &in->token_input;
        jk_int(b, "n_tokens", (long long)t->n_tokens);
        jk_bool(b, "input_ids_set", t->input_ids != NULL);
        if (t->input_ids && t->n_tokens <= (size_t)1 << 24) {
            jk_arr_begin(b, "input_ids");
            for (size_t i = 0; i < t->n_tokens && i < MAX_LOGGED_IDS; i++)
                json_elem_int(b, t->input_ids[i]);
            json_arr_end(b);
            *seed = (const unsigned char*)t->input_ids;
            *seed_n = t->n_tokens * sizeof(int32_t);
        }
        *prompt_tokens = clamp_tokens((long long)t->n_tokens);
        shape->n_opaque = *prompt_tokens;
        if (t->input_ids && (size_t)shape->n_opaque <= t->n_tokens) shape->ids = t->input_ids;
        return true;
    }
    case RKLLM_INPUT_EMBED: {
        const RKLLMEmbedInput* e = &in->embed_input;
        jk_int(b, "n_tokens", (long long)e->n_tokens);
        jk_bool(b, "embed_set", e->embed != NULL);
        *seed = (const unsigned char*)&e->n_tokens;
        *seed_n = sizeof e->n_tokens;
        *prompt_tokens = clamp_tokens((long long)e->n_tokens);
        shape->n_opaque = *prompt_tokens;
        return true;
    }
    case RKLLM_INPUT_MULTIMODAL: {
        const RKLLMMultiModalInput* m = &in->multimodal_input;
        jk_str(b, "prompt", m->prompt);
        size_t n = m->prompt ? strlen(m->prompt) : 0;
        if (m->prompt) *seed = (const unsigned char*)m->prompt;
        *seed_n = n;
        long long extra;
        jk_obj_begin(b, "multimodal");
#if RKLLM_ABI == 123
        jk_bool(b, "image_embed_set", m->image_embed != NULL);
        jk_int(b, "n_image_tokens", (long long)m->n_image_tokens);
        jk_int(b, "n_image", (long long)m->n_image);
        jk_int(b, "image_width", (long long)m->image_width);
        jk_int(b, "image_height", (long long)m->image_height);
        extra = (long long)(m->n_image * m->n_image_tokens);
        analyse_images(b, shape, m->prompt, m->image_embed, m->n_image, m->n_image_tokens,
                       h->img_start, h->img_end, h->img_content);
#else
        jk_bool(b, "image_embed_set", m->image.image_embed != NULL);
        jk_int(b, "n_image_tokens", (long long)m->image.n_image_tokens);
        jk_int(b, "n_image", (long long)m->image.n_image);
        jk_str(b, "image_start", m->image.image_start);
        jk_str(b, "image_end", m->image.image_end);
        jk_str(b, "image_content", m->image.image_content);
        jk_int(b, "image_width", (long long)m->image.image_width);
        jk_int(b, "image_height", (long long)m->image.image_height);
        jk_bool(b, "video_embed_set", m->video.video_embed != NULL);
        jk_int(b, "n_frame_tokens", (long long)m->video.n_frame_tokens);
        jk_int(b, "n_frame_per_video", (long long)m->video.n_frame_per_video);
        jk_int(b, "n_video", (long long)m->video.n_video);
        jk_str(b, "video_start", m->video.video_start);
        jk_str(b, "video_end", m->video.video_end);
        jk_str(b, "video_content", m->video.video_content);
        jk_int(b, "frame_width", (long long)m->video.frame_width);
        jk_int(b, "frame_height", (long long)m->video.frame_height);
        analyse_images(b, shape, m->prompt, m->image.image_embed, m->image.n_image,
                       m->image.n_image_tokens, m->image.image_start, m->image.image_end,
                       m->image.image_content);
        (void)h;
        extra = (long long)(m->image.n_image * m->image.n_image_tokens +
                            m->video.n_video * m->video.n_frame_per_video *
                                m->video.n_frame_tokens);
#endif
        json_obj_end(b);
        if (extra < 0 || extra > INT_MAX / 4) extra = INT_MAX / 4;
        *prompt_tokens = clamp_tokens((long long)(n / 4) + extra);
        shape->text = m->prompt;
        shape->text_n = n;
        shape->n_opaque = *prompt_tokens - (long long)(n / 4);
        if (shape->n_opaque < 0) shape->n_opaque = 0;
        return true;
    }
    default:
        *prompt_tokens = 1;
        return false;
    }
}

static void log_infer_params(Buf* b, const RKLLMInferParam* ip) {
    jk_int(b, "keep_history", ip->keep_history);
    jk_int(b, "mode", ip->mode);
    if (ip->lora_params)
        jk_str(b, "lora_adapter_name", ip->lora_params->lora_adapter_name);
    else
        jk_null(b, "lora_adapter_name");
    if (ip->prompt_cache_params) {
        jk_obj_begin(b, "prompt_cache");
        jk_int(b, "save_prompt_cache", ip->prompt_cache_params->save_prompt_cache);
        jk_str(b, "prompt_cache_path", ip->prompt_cache_params->prompt_cache_path);
        json_obj_end(b);
    } else {
        jk_null(b, "prompt_cache");
    }
#if RKLLM_ABI == 130
    if (ip->sampling_params) {
        const RKLLMSamplingParam* s = ip->sampling_params;
        jk_obj_begin(b, "sampling_params");
        jk_int(b, "top_k", s->top_k);
        jk_float(b, "top_p", s->top_p);
        jk_float(b, "temperature", s->temperature);
        jk_float(b, "repeat_penalty", s->repeat_penalty);
        jk_float(b, "frequency_penalty", s->frequency_penalty);
        jk_float(b, "presence_penalty", s->presence_penalty);
        jk_int(b, "mirostat", s->mirostat);
        jk_float(b, "mirostat_tau", s->mirostat_tau);
        jk_float(b, "mirostat_eta", s->mirostat_eta);
        json_obj_end(b);
    } else {
        jk_null(b, "sampling_params");
    }
    jk_int(b, "max_new_tokens", ip->max_new_tokens);
#endif
}

enum { RES_FINISH, RES_ABORT, RES_PAUSE, RES_ERROR, RES_OVERFLOW };
static const char* const RESULT_NAMES[] = {"finish", "abort", "pause", "error", "overflow"};

/* Runs one inference on an acquired handle (h->runs already counted by the caller). */
static int do_run(MockHandle* h, const RKLLMInput* in, const RKLLMInferParam* ip, void* userdata,
                  const char* fn) {
    RunCfg cfg;
    cfg_read(&cfg);

#if RKLLM_ABI == 130
    bool userdata_fallback = userdata == NULL;
    if (!userdata) userdata = h->callbacks.result_userdata;
#endif

    /* An abort arriving during this delay is cleared below and lost, as with the real runtime. */
    if (cfg.start_delay_ms > 0) sleep_ns(cfg.start_delay_ms * 1000000L);

    pthread_mutex_lock(&g_mu);
    bool overlap = g_active_runs > 0;
    g_active_runs++;
    atomic_store(&h->abort_flag, 0);
    int kv_before = h->kv.n;
    h->paused_keep0 = false;
    /* What rollback, reuse, ABORT_KEEPS=none and an overflow restore. */
    Kv snapshot;
    bool snapshot_ok = kv_copy(&snapshot, &h->kv);
    pthread_mutex_unlock(&g_mu);
    MockHandle* prev_in_run = tls_in_run;
    tls_in_run = h;
    double t_start = now_ms();

    /* ---- run_start ---- */
    Buf b;
    ev_begin(&b, fn, "run_start");
    jk_int(&b, "handle", h->id);
    const unsigned char* seed = NULL;
    size_t seed_n = 0;
    long long prompt_tokens = 1;
    InputShape shape;
    bool input_ok = analyse_input(&b, in, &seed, &seed_n, &prompt_tokens, &shape, h);
    log_infer_params(&b, ip);
    int cap = h->param.max_new_tokens;
#if RKLLM_ABI == 130
    if (ip->max_new_tokens > 0) cap = ip->max_new_tokens;
    jk_bool(&b, "userdata_fallback", userdata_fallback);
#endif
    if (cap <= 0) cap = INT_MAX;
    int max_ctx = h->param.max_context_len;
    jk_int(&b, "prompt_tokens", prompt_tokens);
    jk_int(&b, "kv_len", kv_before);
    jk_int(&b, "max_context_len", max_ctx);
    jk_int(&b, "max_new_tokens_effective", cap == INT_MAX ? -1 : cap);
    jk_bool(&b, "userdata", userdata != NULL);
    jk_bool(&b, "overlap", overlap);
    if (n_batch_of(h) > 1) jk_str(&b, "note", "n_batch > 1: only input[0] is simulated");
    cfg_log(&b, &cfg);
    ev_emit(&b);

    int result = RES_FINISH;
    int ret = 0;
    long long delivered = 0;
    int last_cb_ret = 0;
    Buf text = {0};
    char msg[160] = "";
    Toks toks = {0};
    char* tokbuf = NULL;
    float* matrix = NULL;
    double prefill_ms = 0, generate_ms = 0;
    int mode = ip->mode;
    int keep_history = ip->keep_history;
    long long prefill_tokens = 0, reused_tokens = 0;
    int kv_after_prompt = kv_before;
    const RKLLMPromptCacheParam* pcp = ip->prompt_cache_params;
    bool save_cache = cfg.prompt_cache != PC_OFF && pcp && pcp->save_prompt_cache;
    int cache_saved = -1; /* -1: not attempted, else 0/1 */

    if (!snapshot_ok) {
        send_error(h, userdata, "mock: out of memory");
        result = RES_ERROR;
        ret = -1;
        goto done;
    }

    if (!input_ok) {
        snprintf(msg, sizeof msg, "unsupported input type %d", (int)in->input_type);
        send_error(h, userdata, msg);
        result = RES_ERROR;
        ret = -1;
        goto done;
    }
    if (shape.multimodal && !shape.tags_match && env_is("RKLLM_MOCK_IMAGE_CHECK", "strict")) {
        snprintf(msg, sizeof msg, "image placeholder count does not match n_image");
        send_error(h, userdata, msg);
        result = RES_ERROR;
        ret = -1;
        goto done;
    }
    if (mode != RKLLM_INFER_GENERATE && mode != RKLLM_INFER_GET_LAST_HIDDEN_LAYER &&
        mode != RKLLM_INFER_GET_LOGITS) {
        snprintf(msg, sizeof msg, "unsupported infer mode %d", mode);
        send_error(h, userdata, msg);
        result = RES_ERROR;
        ret = -1;
        goto done;
    }

    /* ---- KV bookkeeping for the prompt ---- */
    {
        bool overflow = false, oom = false;
        int kv_now;
        size_t skip = 0;
        bool reusing = true;
        pthread_mutex_lock(&g_mu);
        if (cfg.prompt_cache == PC_PREFIX && h->prompt_cache_loaded && h->kv.n == 0 &&
            shape.text) {
            /* The SDK: the runtime matches the input against the loaded cache from the start. */
            int m = kv_common_prefix(&h->prompt_cache, shape.text, shape.text_n);
            kv_free(&h->kv);
            oom = !kv_copy(&h->kv, &h->prompt_cache);
            kv_truncate(&h->kv, m);
        } else if (keep_history == 0 && cfg.keep0 == KEEP0_REUSE && shape.text) {
            kv_truncate(&h->kv, kv_common_prefix(&h->kv, shape.text, shape.text_n));
        } else if (keep_history == 0 && cfg.keep0 == KEEP0_REUSE) {
            kv_truncate(&h->kv, 0); /* no text to match: the run sees only its own input */
        } else {
            reusing = false;
        }
        if (reusing) {
            /* All cached: the last position is prefilled again, so a token can follow. */
            if (h->kv.n > 0 && h->kv.text_n == shape.text_n && shape.n_opaque == 0)
                kv_truncate(&h->kv, h->kv.n - 1);
            reused_tokens = h->kv.n;
            skip = h->kv.text_n;
        }
        prefill_tokens = shape_positions(&shape, skip);
        if (prefill_tokens > INT_MAX / 4) prefill_tokens = INT_MAX / 4;
        kv_now = h->kv.n;
        if (!oom && (long long)kv_now + prefill_tokens > (long long)max_ctx) {
            overflow = true;
            kv_free(&h->kv);
            oom = !kv_copy(&h->kv, &snapshot);
        } else if (!oom) {
            oom = !kv_append_input(&h->kv, &shape, skip);
        }
        kv_after_prompt = h->kv.n;
        pthread_mutex_unlock(&g_mu);
        if (oom) {
            send_error(h, userdata, "mock: out of memory");
            result = RES_ERROR;
            ret = -1;
            goto done;
        }
        if (overflow) {
            snprintf(msg, sizeof msg, "context overflow: kv=%d prompt=%lld max=%d", kv_now,
                     prefill_tokens, max_ctx);
            send_error(h, userdata, msg);
            result = RES_OVERFLOW;
            ret = -1;
            prefill_tokens = 0;
            goto done;
        }
    }

    /* ---- prefill ---- */
    double t_pf = now_ms();
    if (sleep_ms_abortable(h, cfg.prefill_ms) ||
        sleep_us_abortable(h, (long long)cfg.prefill_token_us * prefill_tokens)) {
        result = RES_ABORT;
        goto done;
    }
    if (save_cache && cfg.cache_saves_prompt) {
        pthread_mutex_lock(&g_mu);
        cache_saved = kv_save_file(&h->kv, pcp->prompt_cache_path);
        pthread_mutex_unlock(&g_mu);
    }
    if (cfg.hang_stuck) {
        /* A wedged runtime: rkllm_abort is ignored; only rkllm_destroy (or exit) ends it. */
        while (!atomic_load(&h->destroying)) sleep_ns(1000000L);
        result = RES_ABORT;
        goto done;
    }
    if (cfg.hang) {
        while (!is_aborted(h)) sleep_ns(1000000L);
        result = RES_ABORT;
        goto done;
    }
    double t_gen = now_ms();
    prefill_ms = t_gen - t_pf;

    if (mode == RKLLM_INFER_GENERATE) {
        uint32_t seed_hash = fnv1a(seed, seed_n);
        if (cfg.seed_set) {
            uint32_t mix[2] = {seed_hash, (uint32_t)cfg.seed};
            seed_hash = fnv1a(mix, sizeof mix);
        }
        if (shape.embed_hash && env_flag("RKLLM_MOCK_IMAGE_TEXT")) {
            uint32_t mix[2] = {seed_hash, shape.embed_hash};
            seed_hash = fnv1a(mix, sizeof mix);
        }
        build_tokens(&toks, &cfg, seed_hash, in->enable_thinking);
        size_t maxlen = 1;
        for (size_t i = 0; i < toks.n; i++)
            if (toks.v[i].n + 1 > maxlen) maxlen = toks.v[i].n + 1;
        tokbuf = calloc(1, maxlen);
        if (!tokbuf) {
            send_error(h, userdata, "mock: out of memory");
            result = RES_ERROR;
            ret = -1;
            goto done;
        }
        size_t idx = 0;
        for (;;) {
            if (is_aborted(h)) {
                result = RES_ABORT;
                break;
            }
            if (cfg.error_at >= 0 && delivered == cfg.error_at) {
                snprintf(msg, sizeof msg, "mock error at token %ld", cfg.error_at);
                send_error(h, userdata, msg);
                result = RES_ERROR;
                ret = -1;
                break;
            }
            if (idx >= toks.n || delivered >= cap) break;
            if (delivered > 0 && sleep_ms_abortable(h, cfg.token_ms)) {
                result = RES_ABORT;
                break;
            }
            const Tok* t = &toks.v[idx];
            bool full = false;
            pthread_mutex_lock(&g_mu);
            if (h->kv.n >= max_ctx)
                full = true;
            else
                kv_push(&h->kv, t->s, t->n, (uint32_t)t->id, false);
            pthread_mutex_unlock(&g_mu);
            if (full) break;
            idx++;
            memcpy(tokbuf, t->s, t->n);
            tokbuf[t->n] = '\0';
            RKLLMResult r;
            memset(&r, 0, sizeof r);
            r.text = tokbuf;
            r.token_id = t->id;
            delivered++;
            buf_raw(&text, t->s, t->n);
            last_cb_ret = call_result_cb(h, &r, userdata, RKLLM_RUN_NORMAL);
            memset(tokbuf, 0, t->n + 1); /* the text is only valid during the callback */
            if (last_cb_ret == 1) {
                result = RES_PAUSE;
                break;
            }
        }
    } else {
        bool hidden = mode == RKLLM_INFER_GET_LAST_HIDDEN_LAYER;
        int rows = (int)prompt_tokens;
        int cols = hidden ? HIDDEN_EMBD_SIZE : LOGITS_VOCAB_SIZE;
        matrix = make_matrix(seed, seed_n, rows, cols);
        if (!matrix) {
            send_error(h, userdata, "mock: out of memory");
            result = RES_ERROR;
            ret = -1;
            goto done;
        }
        if (is_aborted(h)) {
            result = RES_ABORT;
            goto done;
        }
        RKLLMResult r;
        memset(&r, 0, sizeof r);
        r.text = "";
        r.token_id = -1;
        if (hidden) {
            r.last_hidden_layer.hidden_states = matrix;
            r.last_hidden_layer.embd_size = cols;
            r.last_hidden_layer.num_tokens = rows;
        } else {
            r.logits.logits = matrix;
            r.logits.vocab_size = cols;
            r.logits.num_tokens = rows;
        }
        last_cb_ret = call_result_cb(h, &r, userdata, RKLLM_RUN_NORMAL);
        if (last_cb_ret == 1) result = RES_PAUSE;
    }
    generate_ms = now_ms() - t_gen;

done:
    if (result == RES_FINISH || (result == RES_ABORT && cfg.finish_after_abort)) {
        RKLLMResult r;
        memset(&r, 0, sizeof r);
        r.text = "";
        r.token_id = -1;
        r.perf.prefill_time_ms = (float)prefill_ms;
        r.perf.prefill_tokens = (int)prefill_tokens;
        r.perf.generate_time_ms = (float)generate_ms;
        r.perf.generate_tokens = (int)delivered;
        r.perf.memory_usage_mb = MOCK_MEMORY_MB;
        call_result_cb(h, &r, userdata, RKLLM_RUN_FINISH);
    }

    pthread_mutex_lock(&g_mu);
    if (save_cache && !cfg.cache_saves_prompt && (result == RES_FINISH || result == RES_PAUSE))
        cache_saved = kv_save_file(&h->kv, pcp->prompt_cache_path);
    /* keep_history == 0: the runtime discards the turn: the whole cache by default (the safest
     * reading of the header), or only this turn with RKLLM_MOCK_KEEP0=rollback|reuse. A pause
     * keeps the cache (so the caller can resume or clear a range); an overflow added nothing. */
    bool restore = false;
    if (keep_history == 0 && result != RES_PAUSE && result != RES_OVERFLOW) {
        if (cfg.keep0 == KEEP0_CLEAR)
            kv_truncate(&h->kv, 0);
        else
            restore = true;
    } else if (result == RES_ABORT && cfg.abort_keeps == ABORT_KEEPS_PROMPT) {
        kv_truncate(&h->kv, kv_after_prompt);
    } else if (result == RES_ABORT && cfg.abort_keeps == ABORT_KEEPS_NONE) {
        restore = true;
    }
    if (restore && snapshot_ok) {
        Kv tmp = h->kv;
        h->kv = snapshot;
        snapshot = tmp;
    }
    if (keep_history == 0 && result == RES_PAUSE) h->paused_keep0 = true;
    int kv_after = h->kv.n;
    char context_hash[9];
    kv_context_hash(&h->kv, context_hash);
    g_active_runs--;
    pthread_mutex_unlock(&g_mu);
    kv_free(&snapshot);
    tls_in_run = prev_in_run;

    ev_begin(&b, fn, "run_end");
    jk_int(&b, "handle", h->id);
    jk_str(&b, "result", RESULT_NAMES[result]);
    jk_int(&b, "tokens", delivered);
    jk_int(&b, "prompt_tokens", prompt_tokens);
    jk_int(&b, "prefill_tokens", prefill_tokens);
    jk_int(&b, "reused_tokens", reused_tokens);
    jk_int(&b, "kv_before", kv_before);
    jk_int(&b, "kv_len", kv_after);
    jk_str(&b, "context_hash", context_hash);
    if (cache_saved >= 0) jk_bool(&b, "prompt_cache_saved", cache_saved == 1);
    jk_strn(&b, "text", text.p ? text.p : "", text.n);
    if (result == RES_PAUSE) jk_int(&b, "callback_ret", last_cb_ret);
    if (result == RES_ERROR || result == RES_OVERFLOW) jk_str(&b, "error", msg);
    jk_ms(&b, "elapsed_ms", now_ms() - t_start);
    jk_int(&b, "ret", ret);
    ev_emit(&b);

    buf_free(&text);
    toks_free(&toks);
    free(tokbuf);
    free(matrix);
    free(cfg.reply);
    return ret;
}

/* Registers a run on the handle; NULL if the handle is unknown or being destroyed. */
static MockHandle* acquire_for_run(const void* p, const char** why) {
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(p);
    if (!h) {
        *why = p ? "unknown handle" : "NULL handle";
    } else if (atomic_load(&h->destroying)) {
        *why = "handle is being destroyed";
        h = NULL;
    } else {
        h->runs++;
    }
    pthread_mutex_unlock(&g_mu);
    return h;
}

static void release_after_run(MockHandle* h) {
    pthread_mutex_lock(&g_mu);
    h->runs--;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static int reject_run(const char* fn, const void* handle, const char* why) {
    Buf b;
    ev_handle(&b, fn, handle, NULL);
    jk_str(&b, "error", why);
    jk_int(&b, "ret", -1);
    ev_emit(&b);
    return -1;
}

MOCK_API int rkllm_run(LLMHandle handle, RKLLMInput* rkllm_input,
                       RKLLMInferParam* rkllm_infer_params, void* userdata) {
    if (!rkllm_input) return reject_run("rkllm_run", handle, "rkllm_input is NULL");
    if (!rkllm_infer_params) return reject_run("rkllm_run", handle, "rkllm_infer_params is NULL");
    const char* why = NULL;
    MockHandle* h = acquire_for_run(handle, &why);
    if (!h) return reject_run("rkllm_run", handle, why);
    int ret = do_run(h, rkllm_input, rkllm_infer_params, userdata, "rkllm_run");
    release_after_run(h);
    return ret;
}

/* Deep copy of a run's arguments for rkllm_run_async. */
typedef struct {
    MockHandle* h;
    void* userdata;
    RKLLMInput in;
    RKLLMInferParam ip;
    RKLLMLoraParam lora;
    RKLLMPromptCacheParam cache;
#if RKLLM_ABI == 130
    RKLLMSamplingParam sampling;
#endif
    void* owned[16];
    int n_owned;
    bool oom;
} AsyncJob;

static void* job_keep(AsyncJob* j, void* p) {
    if (!p) {
        j->oom = true;
        return NULL;
    }
    j->owned[j->n_owned++] = p;
    return p;
}

static char* job_strdup(AsyncJob* j, const char* s) {
    return s ? job_keep(j, strdup(s)) : NULL;
}

static void job_free(AsyncJob* j) {
    for (int i = 0; i < j->n_owned; i++) free(j->owned[i]);
    free(j);
}

static void* async_main(void* arg) {
    AsyncJob* j = arg;
    do_run(j->h, &j->in, &j->ip, j->userdata, "rkllm_run_async");
    release_after_run(j->h);
    job_free(j);
    return NULL;
}

MOCK_API int rkllm_run_async(LLMHandle handle, RKLLMInput* rkllm_input,
                             RKLLMInferParam* rkllm_infer_params, void* userdata) {
    const char* fn = "rkllm_run_async";
    if (!rkllm_input) return reject_run(fn, handle, "rkllm_input is NULL");
    if (!rkllm_infer_params) return reject_run(fn, handle, "rkllm_infer_params is NULL");
    AsyncJob* j = calloc(1, sizeof *j);
    if (!j) return reject_run(fn, handle, "out of memory");
    j->userdata = userdata;
    j->in = *rkllm_input;
    j->ip = *rkllm_infer_params;
    j->in.role = job_strdup(j, rkllm_input->role);
    switch (rkllm_input->input_type) {
    case RKLLM_INPUT_PROMPT:
        j->in.prompt_input = job_strdup(j, rkllm_input->prompt_input);
        break;
    case RKLLM_INPUT_TOKEN: {
        const RKLLMTokenInput* t = &rkllm_input->token_input;
        if (t->input_ids && t->n_tokens > 0 && t->n_tokens <= (size_t)1 << 24) {
            int32_t* ids = job_keep(j, malloc(t->n_tokens * sizeof(int32_t)));
            if (ids) memcpy(ids, t->input_ids, t->n_tokens * sizeof(int32_t));
            j->in.token_input.input_ids = ids;
        }
        break;
    }
    case RKLLM_INPUT_MULTIMODAL: {
        RKLLMMultiModalInput* m = &j->in.multimodal_input;
        m->prompt = job_strdup(j, m->prompt);
#if RKLLM_ABI == 130
        m->image.image_start = job_strdup(j, m->image.image_start);
        m->image.image_end = job_strdup(j, m->image.image_end);
        m->image.image_content = job_strdup(j, m->image.image_content);
        m->video.video_start = job_strdup(j, m->video.video_start);
        m->video.video_end = job_strdup(j, m->video.video_end);
        m->video.video_content = job_strdup(j, m->video.video_content);
#endif
        break;
    }
    default: /* embeddings are not dereferenced by the mock */
        break;
    }
    if (rkllm_infer_params->lora_params) {
        j->lora.lora_adapter_name =
            job_strdup(j, rkllm_infer_params->lora_params->lora_adapter_name);
        j->ip.lora_params = &j->lora;
    }
    if (rkllm_infer_params->prompt_cache_params) {
        j->cache.save_prompt_cache = rkllm_infer_params->prompt_cache_params->save_prompt_cache;
        j->cache.prompt_cache_path =
            job_strdup(j, rkllm_infer_params->prompt_cache_params->prompt_cache_path);
        j->ip.prompt_cache_params = &j->cache;
    }
#if RKLLM_ABI == 130
    if (rkllm_infer_params->sampling_params) {
        j->sampling = *rkllm_infer_params->sampling_params;
        j->ip.sampling_params = &j->sampling;
    }
#endif
    if (j->oom) {
        job_free(j);
        return reject_run(fn, handle, "out of memory");
    }

    const char* why = NULL;
    MockHandle* h = acquire_for_run(handle, &why);
    if (!h) {
        job_free(j);
        return reject_run(fn, handle, why);
    }
    j->h = h;

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t tid;
    int rc = pthread_create(&tid, &attr, async_main, j);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        release_after_run(h);
        job_free(j);
        return reject_run(fn, handle, "pthread_create failed");
    }
    Buf b;
    ev_handle(&b, fn, handle, NULL);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_abort(LLMHandle handle) {
    Buf b;
    ev_begin(&b, "rkllm_abort", "call");
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(handle);
    int id = h ? h->id : 0;
    bool running = h && h->runs > 0;
    if (h) atomic_store(&h->abort_flag, 1);
    pthread_mutex_unlock(&g_mu);
    if (!h) {
        jk_null(&b, "handle");
        return fail_unknown_handle(&b, handle);
    }
    jk_int(&b, "handle", id);
    jk_bool(&b, "running", running);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_is_running(LLMHandle handle) {
    Buf b;
    ev_begin(&b, "rkllm_is_running", "call");
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(handle);
    int id = h ? h->id : 0;
    bool running = h && h->runs > 0;
    pthread_mutex_unlock(&g_mu);
    if (!h) {
        jk_null(&b, "handle");
        return fail_unknown_handle(&b, handle);
    }
#if RKLLM_ABI == 130
    int ret = running ? 1 : 0; /* 1.3.0 header: 1 if a task is running */
#else
    int ret = running ? 0 : 1; /* 1.2.3 header: 0 if a task is running, non-zero otherwise */
#endif
    jk_int(&b, "handle", id);
    jk_bool(&b, "running", running);
    jk_int(&b, "ret", ret);
    ev_emit(&b);
    return ret;
}

/* ============================================================================================
 * API: KV cache
 * ========================================================================================== */

MOCK_API int rkllm_clear_kv_cache(LLMHandle handle, int keep_system_prompt, int* start_pos,
                                  int* end_pos) {
    Buf b;
    ev_begin(&b, "rkllm_clear_kv_cache", "call");
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(handle);
    if (!h) {
        pthread_mutex_unlock(&g_mu);
        jk_null(&b, "handle");
        jk_int(&b, "keep_system_prompt", keep_system_prompt);
        return fail_unknown_handle(&b, handle);
    }
    int nb = n_batch_of(h);
    int before = h->kv.n;
    bool running = h->runs > 0;
    int ret = 0;
    const char* error = NULL;
    const char* note = NULL;
    const char* range_mode = getenv("RKLLM_MOCK_RANGE_CLEAR");
    if (!start_pos && !end_pos) {
        kv_truncate(&h->kv, 0);
        h->paused_keep0 = false;
    } else if (!start_pos || !end_pos) {
        error = "start_pos and end_pos must both be NULL or both be set";
        ret = -1;
    } else if (range_mode && strcmp(range_mode, "refuse") == 0) {
        error = "RKLLM_MOCK_RANGE_CLEAR=refuse";
        ret = -1;
    } else if (range_mode && strcmp(range_mode, "ignore") == 0) {
        note = "RKLLM_MOCK_RANGE_CLEAR=ignore: nothing cleared";
    } else if (range_mode && strcmp(range_mode, "accept") == 0 && !h->paused_keep0) {
        error = "range clear is only valid after a keep_history=0 run paused by its callback";
        ret = -1;
    } else {
        int s = start_pos[0], e = end_pos[0];
        if (e > h->kv.n) e = h->kv.n;
        if (s >= 0 && s < e)
            kv_erase(&h->kv, s, e);
        else
            note = "empty or invalid range: nothing cleared";
    }
    int after = h->kv.n;
    char context_hash[9];
    kv_context_hash(&h->kv, context_hash);
    int id = h->id;
    pthread_mutex_unlock(&g_mu);

    jk_int(&b, "handle", id);
    jk_int(&b, "keep_system_prompt", keep_system_prompt);
    if (start_pos) {
        jk_arr_begin(&b, "start_pos");
        for (int i = 0; i < nb; i++) json_elem_int(&b, start_pos[i]);
        json_arr_end(&b);
    } else {
        jk_null(&b, "start_pos");
    }
    if (end_pos) {
        jk_arr_begin(&b, "end_pos");
        for (int i = 0; i < nb; i++) json_elem_int(&b, end_pos[i]);
        json_arr_end(&b);
    } else {
        jk_null(&b, "end_pos");
    }
    jk_bool(&b, "running", running);
    jk_int(&b, "kv_before", before);
    jk_int(&b, "kv_len", after);
    jk_str(&b, "context_hash", context_hash);
    if (error) jk_str(&b, "error", error);
    if (note) jk_str(&b, "note", note);
    jk_int(&b, "ret", ret);
    ev_emit(&b);
    return ret;
}

MOCK_API int rkllm_get_kv_cache_size(LLMHandle handle, int* cache_sizes) {
    Buf b;
    ev_begin(&b, "rkllm_get_kv_cache_size", "call");
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(handle);
    if (!h) {
        pthread_mutex_unlock(&g_mu);
        jk_null(&b, "handle");
        return fail_unknown_handle(&b, handle);
    }
    int id = h->id, kv = h->kv.n, nb = n_batch_of(h);
    pthread_mutex_unlock(&g_mu);
    jk_int(&b, "handle", id);
    if (!cache_sizes) {
        jk_str(&b, "error", "cache_sizes is NULL");
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    for (int i = 0; i < nb; i++) cache_sizes[i] = kv;
    jk_int(&b, "kv_len", kv);
    jk_int(&b, "n_batch", nb);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

/* ============================================================================================
 * API: functions the mock only validates and logs
 * ========================================================================================== */

MOCK_API int rkllm_load_lora(LLMHandle handle, RKLLMLoraAdapter* lora_adapter) {
    Buf b;
    int id;
    ev_handle(&b, "rkllm_load_lora", handle, &id);
    if (lora_adapter) {
        jk_str(&b, "lora_adapter_path", lora_adapter->lora_adapter_path);
        jk_str(&b, "lora_adapter_name", lora_adapter->lora_adapter_name);
        jk_float(&b, "scale", lora_adapter->scale);
    } else {
        jk_null(&b, "lora_adapter");
    }
    if (!id) return fail_unknown_handle(&b, handle);
    if (!lora_adapter) {
        jk_str(&b, "error", "lora_adapter is NULL");
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_load_prompt_cache(LLMHandle handle, const char* prompt_cache_path) {
    Buf b;
    int id;
    ev_handle(&b, "rkllm_load_prompt_cache", handle, &id);
    jk_str(&b, "prompt_cache_path", prompt_cache_path);
    if (!id) return fail_unknown_handle(&b, handle);
    int mode = prompt_cache_mode();
    if (mode != PC_OFF) jk_str(&b, "mode", PC_NAMES[mode]);
    const char* error = NULL;
    if (mode == PC_REFUSE) {
        error = "RKLLM_MOCK_PROMPT_CACHE=refuse";
    } else if (mode == PC_RESTORE || mode == PC_PREFIX) {
        Kv loaded;
        if (!kv_load_file(&loaded, prompt_cache_path)) {
            error = "cannot read prompt cache file";
        } else {
            pthread_mutex_lock(&g_mu);
            MockHandle* h = lookup_locked(handle);
            if (h && mode == PC_RESTORE) {
                /* The cache becomes exactly the saved one. */
                kv_free(&h->kv);
                h->kv = loaded;
                h->paused_keep0 = false;
            } else if (h) {
                kv_free(&h->prompt_cache);
                h->prompt_cache = loaded;
                h->prompt_cache_loaded = true;
            } else {
                kv_free(&loaded);
            }
            if (h) {
                const Kv* k = mode == PC_RESTORE ? &h->kv : &h->prompt_cache;
                char hash[9];
                kv_context_hash(k, hash);
                jk_int(&b, "loaded_tokens", k->n);
                jk_str(&b, "context_hash", hash);
                jk_int(&b, "kv_len", h->kv.n);
            }
            pthread_mutex_unlock(&g_mu);
        }
    }
    if (error) {
        jk_str(&b, "error", error);
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_release_prompt_cache(LLMHandle handle) {
    Buf b;
    int id;
    ev_handle(&b, "rkllm_release_prompt_cache", handle, &id);
    if (!id) return fail_unknown_handle(&b, handle);
    pthread_mutex_lock(&g_mu);
    MockHandle* h = lookup_locked(handle);
    if (h && h->prompt_cache_loaded) {
        kv_free(&h->prompt_cache);
        h->prompt_cache_loaded = false;
        jk_bool(&b, "released", true);
    }
    pthread_mutex_unlock(&g_mu);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_set_chat_template(LLMHandle handle, const char* system_prompt,
                                     const char* prompt_prefix, const char* prompt_postfix) {
    Buf b;
    int id;
    ev_handle(&b, "rkllm_set_chat_template", handle, &id);
    jk_str(&b, "system_prompt", system_prompt);
    jk_str(&b, "prompt_prefix", prompt_prefix);
    jk_str(&b, "prompt_postfix", prompt_postfix);
    if (!id) return fail_unknown_handle(&b, handle);
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_set_function_tools(LLMHandle handle, const char* system_prompt,
                                      const char* tools, const char* tool_response_str) {
    Buf b;
    int id;
    ev_handle(&b, "rkllm_set_function_tools", handle, &id);
    jk_str(&b, "system_prompt", system_prompt);
    jk_str(&b, "tools", tools);
    jk_str(&b, "tool_response_str", tool_response_str);
    if (!id) return fail_unknown_handle(&b, handle);
    if (env_is("RKLLM_MOCK_TOOLS_EMPTY", "refuse") && (!tools || !*tools)) {
        jk_str(&b, "error", "RKLLM_MOCK_TOOLS_EMPTY=refuse: tools is empty");
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}

MOCK_API int rkllm_set_cross_attn_params(LLMHandle handle,
                                         RKLLMCrossAttnParam* cross_attn_params) {
    Buf b;
    int id;
    ev_handle(&b, "rkllm_set_cross_attn_params", handle, &id);
    if (cross_attn_params) {
        jk_obj_begin(&b, "cross_attn_params");
        jk_bool(&b, "encoder_k_cache", cross_attn_params->encoder_k_cache != NULL);
        jk_bool(&b, "encoder_v_cache", cross_attn_params->encoder_v_cache != NULL);
        jk_bool(&b, "encoder_mask", cross_attn_params->encoder_mask != NULL);
        jk_bool(&b, "encoder_pos", cross_attn_params->encoder_pos != NULL);
        jk_int(&b, "num_tokens", cross_attn_params->num_tokens);
        json_obj_end(&b);
    } else {
        jk_null(&b, "cross_attn_params");
    }
    if (!id) return fail_unknown_handle(&b, handle);
    if (!cross_attn_params) {
        jk_str(&b, "error", "cross_attn_params is NULL");
        jk_int(&b, "ret", -1);
        ev_emit(&b);
        return -1;
    }
    jk_int(&b, "ret", 0);
    ev_emit(&b);
    return 0;
}
