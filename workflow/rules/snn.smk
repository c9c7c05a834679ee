# Paper B: the SNN library (framework comparison of time and memory).


rule framework_comparison:
    input:
        script=entry_point("framework_comparison"),
    output:
        csv=f"{result_dir('framework_comparison')}/timings.csv",
        metrics=f"{result_dir('framework_comparison')}/metrics.json",
        paired=f"{result_dir('framework_comparison')}/paired.csv",
        parallel=f"{result_dir('framework_comparison')}/parallel.csv",
    log:
        log_file("framework_comparison", "framework_comparison"),
    benchmark:
        benchmark_file("framework_comparison", "framework_comparison")
    params:
        **run_params("framework_comparison"),
    threads: SHARED_THREADS
    # every framework runs in a subprocess on one core (scale.cpus=1), the job's leased core
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("framework_comparison", shared=True) + " > {log} 2>&1"


rule figure_framework_comparison:
    input:
        rules.framework_comparison.output,  # every file the figure reads
        **figure_inputs("framework_comparison"),
    output:
        target(figure_file("framework_comparison.png", "framework_comparison")),
    log:
        log_file("figure_framework_comparison", "framework_comparison"),
    params:
        **figure_params("framework_comparison"),
    shell:
        figure("framework_comparison", result_dir("framework_comparison"), "{output}")
        + " > {log} 2>&1"


rule figure_framework_parallel:
    input:
        rules.framework_comparison.output.parallel,
        **figure_inputs("framework_parallel"),
    output:
        target(figure_file("framework_parallel.png", "framework_comparison")),
    log:
        log_file("figure_framework_parallel", "framework_comparison"),
    params:
        **figure_params("framework_parallel"),
    shell:
        figure("framework_parallel", result_dir("framework_comparison"), "{output}")
        + " > {log} 2>&1"
