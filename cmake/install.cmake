# install.cmake — what paw installs, and the rule that nothing installed links
# test support (tests/: the software FIDO2 authenticator, harnesses).
#
# paw_install_program(TARGET COMPONENT) installs a shipped program. A build
# with PAW_VIRTUAL_FIDO=ON links the software authenticator into paw-agent, so
# it installs nothing and makes no packages (build releases with it OFF, as
# installer/CMakeLists.txt shows). At the end of configuration every installed
# program's link closure is checked: a target defined under tests/ in it, or
# another program's private headers (a *_internals target: the white-box
# access agent/ and verifier/ give their own tests), is a configuration error.
# tests/build/install_check_test.sh holds the check to that.

function(paw_install_program target component)
  if(PAW_VIRTUAL_FIDO)
    return()
  endif()
  install(TARGETS ${target} RUNTIME DESTINATION bin COMPONENT ${component})
  set_property(GLOBAL APPEND PROPERTY PAW_INSTALLED_PROGRAMS ${target})
endfunction()

# _paw_link_closure(TARGET OUT): the project targets TARGET links, transitively.
function(_paw_link_closure target out)
  set(seen ${${out}})
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(libs ${target} ${prop})
    if(NOT libs)
      continue()
    endif()
    foreach(lib IN LISTS libs)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
      if(NOT TARGET ${lib} OR lib IN_LIST seen)
        continue()
      endif()
      get_target_property(imported ${lib} IMPORTED)
      if(imported)
        continue()
      endif()
      list(APPEND seen ${lib})
      _paw_link_closure(${lib} seen)
    endforeach()
  endforeach()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(paw_check_installed_programs)
  get_property(programs GLOBAL PROPERTY PAW_INSTALLED_PROGRAMS)
  foreach(program IN LISTS programs)
    set(closure "")
    _paw_link_closure(${program} closure)
    foreach(lib IN LISTS closure)
      get_target_property(dir ${lib} SOURCE_DIR)
      string(FIND "${dir}/" "${PROJECT_SOURCE_DIR}/tests/" at)
      if(at EQUAL 0)
        message(FATAL_ERROR "${program} is installed but links test support ${lib} (${dir}); "
                            "shipped programs must not link anything under tests/")
      endif()
      if(lib MATCHES "_internals$")
        message(FATAL_ERROR "${program} is installed but links ${lib}, another program's private "
                            "headers; share code through a library with a public include/ instead")
      endif()
    endforeach()
  endforeach()
  list(LENGTH programs n)
  if(n GREATER 0)
    message(STATUS "paw: ${n} installed programs, none links test support or another program's internals")
  endif()
endfunction()

cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL paw_check_installed_programs)
