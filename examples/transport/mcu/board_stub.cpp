// A stand-in for board.hpp that links but drives no hardware: what scripts/size-report.sh builds.
// Every function is weak, so a real board file linked beside it replaces it. The interrupt
// handlers show where the two hooks are called from; no vector table is provided (the size build
// links newlib's crt0 with nosys.specs), so nothing calls them here.
#include "board.hpp"

namespace {
volatile std::uint32_t ticks_ms = 0;
board_rx_hook rx_hook = nullptr;
}  // namespace

__attribute__((weak)) void board_init() {}

__attribute__((weak)) std::size_t board_uart_write(const std::uint8_t* data, std::size_t size) {
    (void)data;
    return size;  // a real board copies into its TX FIFO / DMA buffer and returns what fit
}

__attribute__((weak)) void board_uart_set_rx_hook(board_rx_hook hook) { rx_hook = hook; }

__attribute__((weak)) std::uint32_t board_millis() { return ticks_ms; }

__attribute__((weak)) bool board_link_up() { return true; }

__attribute__((weak)) std::int32_t board_read_sensor() { return 2150; }

__attribute__((weak)) void board_set_led(bool on) { (void)on; }

__attribute__((weak)) void board_wait_for_interrupt() {}

// The interrupt handlers a real board has (names as in CMSIS startup files).
extern "C" __attribute__((weak, used)) void SysTick_Handler() { ticks_ms = ticks_ms + 1; }

extern "C" __attribute__((weak, used)) void USART1_IRQHandler() {
    const std::uint8_t byte = 0;  // a real board reads the UART data register here
    if (rx_hook != nullptr) rx_hook(byte);
}
