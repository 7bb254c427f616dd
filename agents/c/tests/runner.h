/*
 * runner.h - the smallest test runner that does the job: TEST() functions listed in a table,
 * CHECK() records a failure with file and line and carries on, and main() prints one line per
 * test and the closing "N passed, N failed" that the npm test wrapper reads.
 */
#ifndef TTP_TEST_RUNNER_H
#define TTP_TEST_RUNNER_H

#include <stdio.h>

static int runner_failures;

#define CHECK(cond) do { if (!(cond)) { runner_failures++; printf("    FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ(a, b) do { long va_ = (long)(a), vb_ = (long)(b); if (va_ != vb_) { runner_failures++; printf("    FAILED %s:%d: %s == %s (%ld != %ld)\n", __FILE__, __LINE__, #a, #b, va_, vb_); } } while (0)

typedef struct { const char *name; void (*fn)(void); } runner_test_t;

static int runner_main(const runner_test_t *tests, unsigned n)
{
    unsigned i, passed = 0, failed = 0;
    for (i = 0; i < n; i++) {
        int before = runner_failures;
        tests[i].fn();
        if (runner_failures == before) { passed++; printf("ok   %s\n", tests[i].name); }
        else { failed++; printf("FAIL %s\n", tests[i].name); }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
