//! The diary photo pipeline on a 12-megapixel camera JPEG (4000×3000, with an
//! EXIF orientation and GPS tags), against ImageMagick and libvips doing the
//! same work: each a separate process reading the file and writing the result,
//! timed from spawn to exit, with its peak resident memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tiyan_client::photo::{self, samples};

use crate::stats::ms;

const RUNS: usize = 5;

/// A camera-like picture: smooth gradients with fine texture, so that it
/// neither compresses to nothing nor is pure noise.
fn camera_jpeg(width: u32, height: u32) -> Result<Vec<u8>> {
    let mut seed = 0x9e37_79b9_u32;
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 24) as i32 - 12;
        let c = |v: u32| (v as i32 + grain).clamp(0, 255) as u8;
        image::Rgb([c(x * 255 / width), c(y * 255 / height), c(((x + y) / 16) % 256)])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    img.write_with_encoder(encoder)?;
    Ok(samples::with_exif_rotation_and_gps(&out))
}

/// The child's high-water resident set (VmHWM) in KiB, from /proc.
fn high_water(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd` to completion: wall time, and peak RSS in KiB (the high-water
/// mark read every millisecond while it runs; it only ever grows).
fn measure(cmd: &mut Command) -> Result<(Duration, u64)> {
    let t = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
    let mut peak = 0;
    let status = loop {
        if let Some(hwm) = high_water(child.id()) {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let took = t.elapsed();
    ensure!(status.success(), "{cmd:?} failed: {status}");
    Ok((took, peak))
}

fn series(name: &str, mut make: impl FnMut() -> Command) -> Result<(Duration, u64)> {
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..RUNS {
        let (t, rss) = measure(&mut make())?;
        times.push(t);
        peak = peak.max(rss);
    }
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "  {name:<46} median {:>12}  best {:>12}  peak RSS {:>7.1} MB",
        ms(median),
        ms(times[0]),
        peak as f64 / 1024.0
    );
    Ok((median, peak))
}

fn tool(name: &str) -> Result<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    found.with_context(|| format!("{name} is not installed (scripts/bench.sh installs it)"))
}

/// ImageMagick's `convert` (Debian names it convert-im6.q16 behind the
/// alternatives link): the first candidate that says it is ImageMagick, since
/// another program may answer to `convert` earlier in PATH.
fn imagemagick() -> Result<PathBuf> {
    ["magick", "convert-im6.q16", "convert"]
        .iter()
        .filter_map(|name| tool(name).ok())
        .find(|path| {
            std::process::Command::new(path)
                .arg("-version")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("ImageMagick"))
        })
        .context("ImageMagick is not installed (scripts/bench.sh installs Debian's imagemagick)")
}

pub fn run(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    // vipsthumbnail names its output relative to the input's folder unless absolute.
    let dir = &dir.canonicalize()?;
    let input = dir.join("camera-4000x3000.jpg");
    std::fs::write(&input, camera_jpeg(4000, 3000)?)?;
    let size = std::fs::metadata(&input)?.len();
    println!(
        "photo pipeline: a 4000×3000 JPEG ({:.1} MB, EXIF orientation 6 and GPS) to at most 2048 px, upright, no metadata; {RUNS} runs each",
        size as f64 / 1048576.0
    );
    let me = std::env::current_exe()?;
    let ours_out = dir.join("out-tiyan.jpg");
    let (ours, ours_rss) = series("tiyan (image + fast_image_resize; +thumb, SHA-256)", || {
        let mut c = Command::new(&me);
        c.args(["photo-once"]).arg(&input).arg(&ours_out);
        c
    })?;
    let convert = imagemagick()?;
    let magick_out = dir.join("out-magick.jpg");
    let (magick, magick_rss) = series("ImageMagick convert -auto-orient -strip -resize", || {
        let mut c = Command::new(&convert);
        c.arg(&input).args(["-auto-orient", "-strip", "-resize", "2048x2048", "-quality", "85"]).arg(&magick_out);
        c
    })?;
    let vips = tool("vipsthumbnail")?;
    let vips_out = dir.join("out-vips.jpg");
    let (libvips, vips_rss) = series("vipsthumbnail --size 2048x2048 [strip]", || {
        let mut c = Command::new(&vips);
        c.arg(&input).args(["--size", "2048x2048", "-o"]).arg(format!("{}[Q=85,strip]", vips_out.display()));
        c
    })?;
    let dims = |p: &Path| image::image_dimensions(p).map_err(anyhow::Error::from);
    let (ours_dims, magick_dims, vips_dims) = (dims(&ours_out)?, dims(&magick_out)?, dims(&vips_out)?);
    println!(
        "  outputs: tiyan {ours_dims:?}, ImageMagick {magick_dims:?}, libvips {vips_dims:?} (all upright: 1536×2048)"
    );
    if ours_dims != (1536, 2048) {
        bail!("the pipeline's output is {ours_dims:?}, not 1536×2048");
    }
    let f = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "  tiyan / ImageMagick = {:.2} (target: below 1)   tiyan / libvips = {:.2} (target: at most 2)",
        f(ours, magick),
        f(ours, libvips)
    );
    println!(
        "  peak memory: tiyan {:.0} MB, ImageMagick {:.0} MB, libvips {:.0} MB",
        ours_rss as f64 / 1024.0,
        magick_rss as f64 / 1024.0,
        vips_rss as f64 / 1024.0
    );
    Ok(())
}

/// The child process: the pipeline once, as the app runs it.
pub fn once(input: &Path, output: &Path) -> Result<()> {
    let bytes = std::fs::read(input)?;
    let p = photo::diary_photo(&bytes).map_err(anyhow::Error::msg)?;
    std::fs::write(output, &p.jpeg)?;
    Ok(())
}
