// The package's Swift lives in Generated/, written by build-xcframework.sh from
// bindings/generated/swift. This file keeps the target folder in git and says so.
