// A small test runner for the shell's logic on the JVM (no JUnit here): named tests,
// assertions, and the closing "N passed, M failed" line bindings/tests/android_logic.rs
// checks; a failure also makes the process exit non-zero.
package org.gridwalk.logic

import kotlin.system.exitProcess

class Check {
    private var passed = 0
    private var failed = 0

    fun test(name: String, body: () -> Unit) {
        try {
            body()
            passed++
            println("PASS $name")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: $e")
            e.printStackTrace(System.out)
        }
    }

    fun finish(): Nothing {
        println("$passed passed, $failed failed")
        exitProcess(if (failed == 0) 0 else 1)
    }
}

fun <T> assertEq(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected $expected, got $actual")
}

fun assertTrue(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}
