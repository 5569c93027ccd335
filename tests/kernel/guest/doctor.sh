# Scenario: doctor sees the IOMMU this guest was booted with. Sourced by suite.
