// Probe (a): the cost of one `wine x.exe` start. Does nothing.
int main() { return 0; }
