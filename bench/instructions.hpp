// Instruction counts per operation, beside the timings: both benchmark programs take
// --instructions, which runs each benchmark's loop body a fixed number of times with callgrind
// collecting only around that loop, and names the dump "<benchmark>|<operations>". Run the program
// under `valgrind --tool=callgrind --collect-atstart=no` (scripts/bench.sh does, and
// bench/report.py divides each dump's total by its operations). Counts are deterministic, so they
// compare across runs and machines where wall-clock figures on a shared machine do not.
//
// Without --instructions, measure() is Google Benchmark's timed loop over the same body, so both
// figures come from one piece of code.
#pragma once

#include <benchmark/benchmark.h>
#include <valgrind/callgrind.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

namespace bench {

struct instruction_mode {
    bool on = false;
    std::string current;  // the benchmark being run
};

inline instruction_mode& instructions() {
    static instruction_mode mode;
    return mode;
}

// Removes --instructions from the arguments (Google Benchmark refuses flags it does not know).
inline void parse_instruction_flag(int& argc, char** argv) {
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--instructions") == 0) {
            instructions().on = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    argc = out;
}

// The loop of one benchmark: `body` does `operations` operations (packets, matches) per call.
template <class Body>
void measure(benchmark::State& state, std::size_t operations, Body&& body) {
    if (!instructions().on) {
        for (auto _ : state) body();
        return;
    }
    const std::size_t calls = operations >= 1000 ? 3 : 1000;
    body();  // once first: page faults and lazy binding are not the operation's cost
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    for (std::size_t i = 0; i < calls; ++i) body();
    CALLGRIND_TOGGLE_COLLECT;
    const std::string label = instructions().current + "|" + std::to_string(calls * operations);
    CALLGRIND_DUMP_STATS_AT(label.c_str());
    for (auto _ : state) {
    }  // Google Benchmark wants its loop run (one iteration in this mode)
}

// RegisterBenchmark(name, fn, args...), with the name known to measure(), and one iteration when
// counting instructions.
template <class... Params, class... Args>
benchmark::internal::Benchmark* add(const std::string& name, void (*fn)(benchmark::State&, Params...),
                                    Args&&... args) {
    benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(
        name.c_str(), [name, fn, args...](benchmark::State& state) {
            instructions().current = name;
            fn(state, args...);
        });
    if (instructions().on) b->Iterations(1);
    return b;
}

}  // namespace bench
