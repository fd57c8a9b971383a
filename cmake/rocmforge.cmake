# Shared settings for every target of the project.

set(ROCMFORGE_WARNINGS -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)

if(ROCMFORGE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# rocmforge_module(NAME SOURCES ... DEPS ...): one static library per src/ folder.
function(rocmforge_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(rocmforge_${name} STATIC ${ARG_SOURCES})
  target_include_directories(rocmforge_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(rocmforge_${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${ROCMFORGE_WARNINGS}>)
  target_link_libraries(rocmforge_${name} PUBLIC ${ARG_DEPS})
endfunction()

# rocmforge_test(NAME LABEL SOURCES ... DEPS ...): one GoogleTest binary,
# each test registered with CTest under LABEL.
function(rocmforge_test name label)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} rocmforge_testing GTest::gtest GTest::gtest_main)
  target_compile_options(${name} PRIVATE ${ROCMFORGE_WARNINGS})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "ROCMFORGE_SOURCE_DIR=${PROJECT_SOURCE_DIR};ROCMFORGE_BIN=$<TARGET_FILE:rocmforge>")
endfunction()
