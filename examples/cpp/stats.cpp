/*
 * A handler in C++: answers byte statistics of the event as JSON,
 * {"bytes":N,"letters":N,"digits":N,"spaces":N,"other":N,"requestId":"..."}.
 * An empty event is an error.
 *
 * Plain C++ without its runtime library (no exceptions, RTTI or iostreams): classes,
 * templates, constexpr and lambdas, over musl's C headers. Compile it to an object and build
 * a bootstrap with it:
 *
 *   g++ -std=c++17 -Os -fPIC -fno-exceptions -fno-rtti -fno-threadsafe-statics \
 *       -nostdinc -isystem /usr/include/x86_64-linux-musl -Iinclude \
 *       -c examples/cpp/stats.cpp -o /tmp/stats.o
 *   LAMBDA_HANDLER=/tmp/stats.o cargo build --release
 */
#include "lambda_bootstrap.h"

#include <stdio.h>

namespace {

enum class Kind { Letter, Digit, Space, Other };

constexpr Kind classify(uint8_t b) {
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) return Kind::Letter;
    if (b >= '0' && b <= '9') return Kind::Digit;
    if (b == ' ' || b == '\t' || b == '\n' || b == '\r') return Kind::Space;
    return Kind::Other;
}

static_assert(classify('x') == Kind::Letter && classify('7') == Kind::Digit, "classify");

template <typename Count>
struct Stats {
    Count counts[4] = {};

    void add(uint8_t b) { counts[static_cast<int>(classify(b))]++; }
    Count of(Kind k) const { return counts[static_cast<int>(k)]; }
};

// Writes into the runtime's buffer; remembers the length it would need if it does not fit.
class Writer {
  public:
    explicit Writer(lb_response *out) : out_(out) {}

    template <typename... Args>
    void print(const char *format, Args... args) {
        size_t used = out_->len < out_->cap ? out_->len : out_->cap;
        int n = snprintf(reinterpret_cast<char *>(out_->ptr) + used, out_->cap - used, format, args...);
        if (n > 0) out_->len += static_cast<size_t>(n);
    }

  private:
    lb_response *out_;
};

}  // namespace

extern "C" int handler(const lb_context *ctx, const uint8_t *event, size_t event_len, lb_response *out) {
    Writer writer(out);
    if (event_len == 0) {
        writer.print("an empty event has no statistics");
        out->error_type = LB_STR("Function.EmptyEvent");
        return 1;
    }
    Stats<unsigned long> stats;
    auto each = [&](auto visit) {
        for (size_t i = 0; i < event_len; i++) visit(event[i]);
    };
    each([&](uint8_t b) { stats.add(b); });
    writer.print("{\"bytes\":%zu,\"letters\":%lu,\"digits\":%lu,\"spaces\":%lu,\"other\":%lu,\"requestId\":\"%s\"}",
                 event_len, stats.of(Kind::Letter), stats.of(Kind::Digit), stats.of(Kind::Space),
                 stats.of(Kind::Other), ctx->request_id.ptr);
    return 0;
}
