"""The vLLM engine in its own interpreter: ``python -m synthcraft.backends.vllm_worker '<config>'``.

Started by ``vllm_backend.WorkerEngine``, never by hand. Protocol: one JSON line out when the
engine is ready; then, per JSON line in (a list of requests), one JSON line out (their results, in
order). It exits when its input closes. vLLM and the processes it spawns log to stderr: the
original stdout is kept for the protocol alone.
"""
import json
import os
import sys


def main() -> None:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything else printed goes to the log

    from synthcraft.backends.vllm_backend import Engine

    config = json.loads(sys.argv[1])
    engine = Engine(config["kwargs"], config["cpu_kv_cache_gib"], config["lora"])
    protocol.write(json.dumps({"ready": True, "start_s": engine.start_s}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        protocol.write(json.dumps(engine.generate(json.loads(line))) + "\n")
        protocol.flush()


if __name__ == "__main__":  # the guard vLLM needs: its engine spawns processes that import this module
    main()
