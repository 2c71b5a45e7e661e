// zstd.cc — a streaming zstd decompressor for image layers (application/vnd.oci.image.layer.v1.tar+zstd):
// Node 20's zlib has no zstd. libzstd's ZSTD_decompressStream runs on the libuv thread pool (an
// AsyncWorker per call), never on the event loop. One call decodes at most ~1 MiB of output, so a small
// input that expands enormously (a zstd bomb) is handed back in pieces, as a stream's backpressure asks,
// never held whole. See: zstd.h (ZSTD_createDStream, ZSTD_decompressStream).
#include <zstd.h>

#include <string>
#include <vector>

#include "addon.h"

namespace podinit {

namespace {

// Output handed back per call, at most (plus one ZSTD_DStreamOutSize() block).
constexpr size_t kMaxOutputPerCall = 1 << 20;

class ZstdDecoder : public Napi::ObjectWrap<ZstdDecoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ZstdDecoder", {InstanceMethod("decode", &ZstdDecoder::Decode)});
  }

  explicit ZstdDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ZstdDecoder>(info) {
    stream_ = ZSTD_createDStream();
    if (stream_ == nullptr) {
      Napi::Error::New(info.Env(), "ZSTD_createDStream: out of memory").ThrowAsJavaScriptException();
      return;
    }
    ZSTD_initDStream(stream_);
  }

  ~ZstdDecoder() override {
    if (stream_ != nullptr) ZSTD_freeDStream(stream_);
  }

  ZSTD_DStream* stream() { return stream_; }
  bool busy = false;

 private:
  // decode(input: Buffer, callback(error, output: Buffer, consumed: number, more: boolean, frameEnd: boolean))
  Napi::Value Decode(const Napi::CallbackInfo& info);

  ZSTD_DStream* stream_ = nullptr;
};

class DecodeWork : public Napi::AsyncWorker {
 public:
  DecodeWork(Napi::Function callback, ZstdDecoder* decoder, Napi::Object self, Napi::Buffer<uint8_t> input)
      : Napi::AsyncWorker(callback, "pod-init:zstd"),
        decoder_(decoder),
        input_(input.Data(), input.Data() + input.Length()) {
    self_ = Napi::Persistent(self);  // the decoder (and its stream) lives until this call is over
  }

  void Execute() override {
    ZSTD_inBuffer in{input_.data(), input_.size(), 0};
    const size_t block = ZSTD_DStreamOutSize();
    for (;;) {
      size_t before = output_.size();
      output_.resize(before + block);
      ZSTD_outBuffer out{output_.data() + before, block, 0};
      size_t rc = ZSTD_decompressStream(decoder_->stream(), &out, &in);
      output_.resize(before + out.pos);
      if (ZSTD_isError(rc)) {
        SetError(std::string("zstd: ") + ZSTD_getErrorName(rc));
        return;
      }
      frame_end_ = rc == 0;
      more_ = out.pos == out.size;  // the output was full: more may be waiting inside the stream
      if (!more_ && in.pos == in.size) break;
      if (output_.size() >= kMaxOutputPerCall) break;
    }
    consumed_ = in.pos;
  }

  void OnOK() override {
    Napi::Env env = Env();
    decoder_->busy = false;
    Callback().Call({env.Null(), Napi::Buffer<uint8_t>::Copy(env, output_.data(), output_.size()),
                     Napi::Number::New(env, static_cast<double>(consumed_)), Napi::Boolean::New(env, more_),
                     Napi::Boolean::New(env, frame_end_)});
  }

  void OnError(const Napi::Error& error) override {
    decoder_->busy = false;
    Callback().Call({error.Value()});
  }

 private:
  ZstdDecoder* decoder_;
  Napi::ObjectReference self_;
  std::vector<uint8_t> input_;
  std::vector<uint8_t> output_;
  size_t consumed_ = 0;
  bool more_ = false;
  bool frame_end_ = false;
};

Napi::Value ZstdDecoder::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (stream_ == nullptr || busy) {
    Napi::Error::New(env, "ZstdDecoder: one decode at a time").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  busy = true;
  auto* work = new DecodeWork(info[1].As<Napi::Function>(), this, info.This().As<Napi::Object>(),
                              info[0].As<Napi::Buffer<uint8_t>>());
  work->Queue();
  return env.Undefined();
}

}  // namespace

void InitZstd(Napi::Env env, Napi::Object exports) {
  exports.Set("ZstdDecoder", ZstdDecoder::Define(env));
}

}  // namespace podinit
