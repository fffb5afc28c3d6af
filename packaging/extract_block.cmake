# Writes the fenced block between <!-- NAME:begin --> and <!-- NAME:end --> of DOC into OUT,
# so that the packaged examples are the configuration the docs show and tests/test_proxy.py
# runs. Usage: cmake -DDOC=... -DNAME=... -DOUT=... -DHEADER=... -P extract_block.cmake
file(READ ${DOC} text)
string(FIND "${text}" "<!-- ${NAME}:begin -->" b)
string(FIND "${text}" "<!-- ${NAME}:end -->" e)
if(b EQUAL -1 OR e EQUAL -1)
  message(FATAL_ERROR "${DOC} has no block ${NAME}")
endif()
math(EXPR len "${e} - ${b}")
string(SUBSTRING "${text}" ${b} ${len} block)
string(REGEX REPLACE "^<!--[^\n]*\n```[a-z]*\n" "" block "${block}")
string(REGEX REPLACE "```\n$" "" block "${block}")
file(WRITE ${OUT} "# ${HEADER}\n# From docs/deploy.md, as tests/test_proxy.py runs it.\n${block}")
