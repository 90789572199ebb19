# plot.gp - the benchmark charts, drawn by bench/run from the data files that
# `report.py plotdata` writes. Variables (gnuplot -e):
#   dir        folder with overhead.dat and ciphers.dat
#   out        output path prefix: <out>-overhead.png, <out>-ciphers.png
#   n_engines  engine columns in overhead.dat (0: no chart)
#   n_ciphers  cipher columns in ciphers.dat (0: no chart)
#   subtitle   a line under each title (date, host, mode)

cairo = strstrt(GPVAL_TERMINALS, "pngcairo") > 0
if (cairo) {
    set terminal pngcairo size 1500,720 font "sans,10" noenhanced
} else {
    set terminal png size 1500,720 noenhanced
}
set datafile missing "NaN"
# 14 distinct colours, so that up to 14 engines or ciphers never share one
array colours[14] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", \
                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#f5c200", \
                     "#003f7f", "#7fff7f"]
do for [i=1:14] { set linetype i linecolor rgb colours[i] }
set linetype cycle 14
set grid ytics
set key outside right top vertical noenhanced

if (n_engines > 0) {
    set output out."-overhead.png"
    set title "Throughput relative to each engine's own plaintext baseline, same run (1 = no overhead, higher is better)\n".subtitle
    set ylabel "ops/s ÷ baseline ops/s (median of per-run ratios)"
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.85 border -1
    set boxwidth 0.9
    set yrange [0:*]
    set xtics nomirror
    set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "black" front
    plot for [i=2:n_engines+1] dir."/overhead.dat" using i:xtic(1) title columnheader(i)
    unset arrow 1
    unset style data
}

if (n_ciphers > 0) {
    if (cairo) {
        set terminal pngcairo size 1100,650 font "sans,10" noenhanced
    } else {
        set terminal png size 1100,650 noenhanced
    }
    set output out."-ciphers.png"
    set title "Page unseal (decrypt + verify) throughput per page size, one core, back end chosen at run time\n".subtitle
    set xlabel "page size (bytes)"
    set ylabel "GB/s"
    set logscale x 2
    set xtics (4096, 8192, 16384, 32768, 65536)
    set xrange [3500:75000]
    set yrange [0:*]
    plot for [i=2:n_ciphers+1] dir."/ciphers.dat" using 1:i with linespoints lw 2 pt 7 title columnheader(i)
}
