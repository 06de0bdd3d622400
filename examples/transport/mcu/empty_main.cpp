// The size report's baseline: the same startup code, newlib and link flags as the firmware, and a
// main() that does nothing. Subtracting its size leaves what sansmqtt and the glue add.
int main() {
    for (;;) {
        __asm__ volatile("");  // a loop with a side effect the compiler keeps
    }
}
