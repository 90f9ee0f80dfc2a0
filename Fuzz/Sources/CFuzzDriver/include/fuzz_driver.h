#ifndef ALTCLIP_FUZZ_DRIVER_H
#define ALTCLIP_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (flags, corpus, -runs, ...) on `callback`. SwiftPM names an executable's
/// entry point `<Target>_main`; each harness defines it and calls this.
int altclip_fuzz_main(int argc, char **argv, int (*callback)(const uint8_t *data, size_t size));

#endif
