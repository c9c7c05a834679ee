# Paper A: sparse online gradients (gradient alignment with BPTT, memory/time scaling).


rule gradient_alignment:
    output:
        csv=f"{RESULTS}/gradient_alignment/alignment.csv",
        metrics=f"{RESULTS}/gradient_alignment/metrics.json",
    log:
        f"{RESULTS}/logs/gradient_alignment.log",
    benchmark:
        f"{RESULTS}/benchmarks/gradient_alignment.tsv"
    threads: SHARED_THREADS
    resources:
        cpu_heavy=SHARED,
    shell:
        experiment("gradient_alignment", shared=True) + " > {log} 2>&1"


rule figure_gradient_alignment:
    input:
        rules.gradient_alignment.output,  # every file the figure reads
    output:
        target(f"{FIGURES}/paper_a_gradient_alignment.png"),
    log:
        f"{RESULTS}/logs/figure_gradient_alignment.log",
    shell:
        figure("gradient_alignment", f"{RESULTS}/gradient_alignment", "{output}")
        + " > {log} 2>&1"


rule memory_scaling:
    output:
        csv=f"{RESULTS}/memory_scaling/scaling.csv",
        rss=f"{RESULTS}/memory_scaling/rss.csv",
        metrics=f"{RESULTS}/memory_scaling/metrics.json",
    log:
        f"{RESULTS}/logs/memory_scaling.log",
    benchmark:
        f"{RESULTS}/benchmarks/memory_scaling.tsv"
    threads: CORES
    resources:
        cpu_heavy=ALONE,
    shell:
        experiment("memory_scaling") + " > {log} 2>&1"


rule figure_memory_scaling:
    input:
        rules.memory_scaling.output,  # every file the figure reads
    output:
        target(f"{FIGURES}/paper_a_memory_scaling.png"),
    log:
        f"{RESULTS}/logs/figure_memory_scaling.log",
    shell:
        figure("memory_scaling", f"{RESULTS}/memory_scaling", "{output}") + " > {log} 2>&1"
