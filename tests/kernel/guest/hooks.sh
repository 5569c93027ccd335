# Scenario: driver-hooks/qemu binds and releases real devices. Sourced by suite.
if [ ! -f "$HOOK" ]; then
    check "driver-hooks/qemu exists in this checkout" test -f "$HOOK"
    return 0
fi
