// The few things the MQTT firmware (main.cpp) needs from the hardware. Implement them for your
// board with its HAL or registers; board_stub.cpp is a stand-in that only links (for the size
// report), not a driver.
//
// The UART is a transparent byte link to the broker: a cellular or Wi-Fi modem in transparent
// TCP (or TLS) mode, or a serial line to a gateway. With a TCP/IP stack on the chip instead (lwIP
// raw API), the same three functions map to tcp_write() + tcp_output(), sys_now(), and a
// tcp_recv() callback that hands each pbuf's bytes to the hook.
#pragma once

#include <cstddef>
#include <cstdint>

// Clocks, pins, UART (interrupt on every received byte) and SysTick at 1 kHz.
void board_init();

// Takes up to `size` bytes for sending without blocking (into the UART's TX FIFO or a DMA
// buffer) and returns how many it took; 0 while the hardware is busy.
std::size_t board_uart_write(const std::uint8_t* data, std::size_t size);

// Called by the board's UART RX interrupt with every received byte. Interrupt context: store the
// byte and return (uart_transport::on_rx_byte does exactly that).
using board_rx_hook = void (*)(std::uint8_t byte);
void board_uart_set_rx_hook(board_rx_hook hook);

// Milliseconds since start-up, wrapping at 2^32: a volatile counter that SysTick_Handler
// increments.
std::uint32_t board_millis();

// True while the link to the broker is up (modem reports a connected socket, DCD line, ...).
bool board_link_up();

// The application's sensor and actuator.
std::int32_t board_read_sensor();  // e.g. temperature in hundredths of a degree Celsius
void board_set_led(bool on);

// Sleep until the next interrupt (WFI); SysTick wakes the loop at least every millisecond.
void board_wait_for_interrupt();
