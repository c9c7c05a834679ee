# Paper A: sparse online gradients (gradient alignment with BPTT, memory/time scaling).


rule gradient_alignment:
    input:
        script=entry_point("gradient_alignment"),
    output:
        csv=f"{result_dir('gradient_alignment')}/alignment.csv",
        metrics=f"{result_dir('gradient_alignment')}/metrics.json",
    log:
        log_file("gradient_alignment", "gradient_alignment"),
    benchmark:
        benchmark_file("gradient_alignment", "gradient_alignment")
    params:
        **run_params("gradient_alignment"),
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("gradient_alignment", shared=True) + " > {log} 2>&1"


rule figure_gradient_alignment:
    input:
        rules.gradient_alignment.output,  # every file the figure reads
        **figure_inputs("gradient_alignment"),
    output:
        target(figure_file("paper_a_gradient_alignment.png", "gradient_alignment")),
    log:
        log_file("figure_gradient_alignment", "gradient_alignment"),
    params:
        **figure_params("gradient_alignment"),
    shell:
        figure("gradient_alignment", result_dir("gradient_alignment"), "{output}")
        + " > {log} 2>&1"


rule memory_scaling:
    input:
        script=entry_point("memory_scaling"),
    output:
        csv=f"{result_dir('memory_scaling')}/scaling.csv",
        rss=f"{result_dir('memory_scaling')}/rss.csv",
        metrics=f"{result_dir('memory_scaling')}/metrics.json",
    log:
        log_file("memory_scaling", "memory_scaling"),
    benchmark:
        benchmark_file("memory_scaling", "memory_scaling")
    params:
        **run_params("memory_scaling"),
    threads: CORES
    resources:
        cpu_heavy=ALONE,
    shell:
        experiment("memory_scaling") + " > {log} 2>&1"


rule figure_memory_scaling:
    input:
        rules.memory_scaling.output,  # every file the figure reads
        **figure_inputs("memory_scaling"),
    output:
        target(figure_file("paper_a_memory_scaling.png", "memory_scaling")),
    log:
        log_file("figure_memory_scaling", "memory_scaling"),
    params:
        **figure_params("memory_scaling"),
    shell:
        figure("memory_scaling", result_dir("memory_scaling"), "{output}") + " > {log} 2>&1"
