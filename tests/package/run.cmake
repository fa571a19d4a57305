# Installs the built Tessera into SCRATCH/prefix, then configures, builds and runs two consumer
# projects against it with find_package(Tessera): the core alone, with libpng made unfindable
# (an embedder that runs no job files must not need it), and the job layer. Fails on the first
# step that fails.
file(REMOVE_RECURSE ${SCRATCH})
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
step(${CMAKE_COMMAND} --install ${TESSERA_BINARY_DIR} --prefix ${SCRATCH}/prefix)

step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${SCRATCH}/core -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix -DCMAKE_DISABLE_FIND_PACKAGE_PNG=ON)
step(${CMAKE_COMMAND} --build ${SCRATCH}/core)
step(${SCRATCH}/core/consumer)

step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${SCRATCH}/jobs -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${SCRATCH}/prefix -DWITH_JOBS=ON)
step(${CMAKE_COMMAND} --build ${SCRATCH}/jobs)
file(COPY ${JOB_FILE} DESTINATION ${SCRATCH}/job)
get_filename_component(job_name ${JOB_FILE} NAME)
step(${SCRATCH}/jobs/consumer ${SCRATCH}/job/${job_name})
