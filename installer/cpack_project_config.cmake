# Read by cpack at packaging time (CPACK_PROJECT_CONFIG_FILE). The environment
# variable PAW_DEB_VERSION replaces the upstream part of the Debian version, so
# the installer test can package the same binaries as an "older" release and
# exercise an upgrade (tests/e2e/installer_test.sh).
if(DEFINED ENV{PAW_DEB_VERSION} AND NOT "$ENV{PAW_DEB_VERSION}" STREQUAL "")
  set(CPACK_DEBIAN_PACKAGE_VERSION "$ENV{PAW_DEB_VERSION}")
endif()
