// The baseline both benchmark programs measure beside each figure: copying the same bytes, with
// the pointers and the size hidden from the optimizer so the copy really happens every time.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "instructions.hpp"

// Runs the timed loop over `operations` packets' bytes; returns whether the copy was right.
inline bool run_memcpy_baseline(benchmark::State& state, const std::vector<std::uint8_t>& src,
                                std::size_t operations = 1) {
    std::vector<std::uint8_t> dst(src.size());
    bench::measure(state, operations, [&] {
        const std::uint8_t* from = src.data();
        std::uint8_t* to = dst.data();
        std::size_t n = src.size();
        benchmark::DoNotOptimize(from);
        benchmark::DoNotOptimize(to);
        benchmark::DoNotOptimize(n);
        std::memcpy(to, from, n);
        benchmark::ClobberMemory();
    });
    return dst == src;
}
