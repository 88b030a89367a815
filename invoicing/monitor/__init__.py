"""任务监控: the background jobs per queue in Chinese, scoped to the user's company, retry of a failed one."""
