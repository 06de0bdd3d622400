// The header checks are compile-time only; this main makes them one linkable program.
int main() { return 0; }
