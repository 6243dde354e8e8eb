;; klm: "KMLM sorter V4", written from SPEC-klm.md.
;; Alchemiser's built-in `klm` evaluates this text: the most volatile (5-day stdev-return
;; of its own simulated daily returns) of eight variant groups V1..V8 decides.
;; Every comparison is strict, as the spec writes it.
(defsymphony "KMLM sorter V4 - Added back nerfed Nova version" {:asset-class "EQUITIES" :rebalance-threshold 0.1}
 (weight-equal
  [(filter
    (stdev-return {:window 5})
    (select-top 1)
    [;; V1
     (group "506/38 KMLM (13) - Longer BT"
      [(group "KMLM switcher (single pops)| BT 4/13/22 = A.R. 466% / D.D. 22%"
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Single Popped KMLM"
                                [;; SPOP.UVXY
                                 (if
                                  (> (rsi "UVXY" {:window 21}) 65)
                                  [(group "BSC"
                                    [(if
                                      (> (rsi "SPY" {:window 21}) 30)
                                      [(asset "VIXM" nil)]
                                      [(asset "SPXL" nil)])])]
                                  [(group "Combined Pop Bot"
                                    [;; POP.1
                                     (if
                                      (< (rsi "TQQQ" {:window 10}) 30)
                                      [(asset "TECL" nil)]
                                      [;; POP.2
                                       (if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [;; POP.3
                                         (if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [;; POP.4 -> SW
                                           (group "Copypasta YOLO GainZs Here"
                                            [(group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                              [(if
                                                (>
                                                 (rsi "XLK" {:window 10})
                                                 (rsi "KMLM" {:window 10}))
                                                [(filter
                                                  (rsi {:window 10})
                                                  (select-bottom 1)
                                                  [(asset "FNGU" nil)])]
                                                [(group "Long/Short Rotator with FTLS KMLM SSO UUP | BT 12/10/20 | 15.1/3.5  "
                                                  [(filter
                                                    (stdev-return {:window 6})
                                                    (select-bottom 1)
                                                    [(asset "UUP" nil)
                                                     (asset "FTLS" nil)
                                                     (asset "KMLM" nil)])])])])])])])])])])])])])])])])])])])])])])])])
     ;; V2
     (group "1280/26 KMLM (50)"
      [(group "KMLM switcher (single pops)| BT 4/13/22 = A.R. 466% / D.D. 22%"
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Combined Pop Bot"
                                [;; POP.1
                                 (if
                                  (< (rsi "TQQQ" {:window 10}) 30)
                                  [(asset "TECL" nil)]
                                  [;; POP.2
                                   (if
                                    (< (rsi "SOXL" {:window 10}) 30)
                                    [(asset "SOXL" nil)]
                                    [;; POP.3
                                     (if
                                      (< (rsi "SPXL" {:window 10}) 30)
                                      [(asset "SPXL" nil)]
                                      [;; POP.3b
                                       (if
                                        (< (rsi "LABU" {:window 10}) 25)
                                        [(asset "LABU" nil)]
                                        [;; POP.4 -> SW
                                         (group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                          [(if
                                            (>
                                             (rsi "XLK" {:window 10})
                                             (rsi "KMLM" {:window 10}))
                                            [(filter
                                              (rsi {:window 10})
                                              (select-bottom 2)
                                              [(asset "TECL" nil)
                                               (asset "SOXL" nil)
                                               (asset "SVIX" nil)])]
                                            [(filter
                                              (rsi {:window 10})
                                              (select-top 1)
                                              [(asset "SQQQ" nil) (asset "TLT" nil)])])])])])])])])])])])])])])])])])])])])])
     ;; V3
     (group "1200/28 KMLM (43)"
      [(group "KMLM switcher (single pops)| BT 4/13/22 = A.R. 466% / D.D. 22%"
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Single Popped KMLM"
                                [;; SPOP.UVXY
                                 (if
                                  (> (rsi "UVXY" {:window 21}) 65)
                                  [(group "BSC"
                                    [(if
                                      (> (rsi "SPY" {:window 21}) 30)
                                      [(asset "VIXM" nil)]
                                      [(asset "SPXL" nil)])])]
                                  [(group "Combined Pop Bot"
                                    [;; POP.1
                                     (if
                                      (< (rsi "TQQQ" {:window 10}) 30)
                                      [(asset "TECL" nil)]
                                      [;; POP.2
                                       (if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [;; POP.3
                                         (if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [;; POP.4 -> SW
                                           (group "Copypasta YOLO GainZs Here"
                                            [(group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                              [(if
                                                (>
                                                 (rsi "XLK" {:window 10})
                                                 (rsi "KMLM" {:window 10}))
                                                [(filter
                                                  (rsi {:window 10})
                                                  (select-bottom 1)
                                                  [(asset "TECL" nil)
                                                   (asset "SOXL" nil)
                                                   (asset "SVIX" nil)])]
                                                [(filter
                                                  (rsi {:window 10})
                                                  (select-top 1)
                                                  [(asset "SQQQ" nil) (asset "TLT" nil)])])])])])])])])])])])])])])])])])])])])])])])
     ;; V4
     (group "520/22 KMLM (23) - Original"
      [(group "KMLM switcher (single pops)| BT 4/13/22 = A.R. 466% / D.D. 22%"
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Single Popped KMLM"
                                [;; SPOP.UVXY
                                 (if
                                  (> (rsi "UVXY" {:window 21}) 65)
                                  [(group "BSC"
                                    [(if
                                      (> (rsi "SPY" {:window 21}) 30)
                                      [(asset "VIXM" nil)]
                                      [(asset "SPXL" nil)])])]
                                  [(group "Combined Pop Bot"
                                    [;; POP.1
                                     (if
                                      (< (rsi "TQQQ" {:window 10}) 30)
                                      [(asset "TECL" nil)]
                                      [;; POP.2
                                       (if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [;; POP.3
                                         (if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [;; POP.4 -> SW
                                           (group "Copypasta YOLO GainZs Here"
                                            [(group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                              [(if
                                                (>
                                                 (rsi "XLK" {:window 10})
                                                 (rsi "KMLM" {:window 10}))
                                                [(filter
                                                  (rsi {:window 10})
                                                  (select-bottom 1)
                                                  [(asset "TECL" nil) (asset "SVIX" nil)])]
                                                [(group "Long/Short Rotator with FTLS KMLM SSO UUP | BT 12/10/20 | 15.1/3.5  "
                                                  [(filter
                                                    (stdev-return {:window 6})
                                                    (select-bottom 3)
                                                    [(asset "TMV" nil)
                                                     (asset "TMF" nil)
                                                     (asset "SVXY" nil)
                                                     (asset "VIXM" nil)
                                                     (asset "FTLS" nil)
                                                     (asset "KMLM" nil)
                                                     (asset "UUP" nil)])])])])])])])])])])])])])])])])])])])])])])])])
     ;; V5
     (group "530/18 (29)"
      [(group "KMLM Switcher | Anansi Mods"
        [;; V5.1
         (if
          (> (rsi "SPY" {:window 10}) 80)
          [(group "Scale-In | VIX+ -> VIX++"
            [(if
              (> (rsi "SPY" {:window 10}) 82.5)
              [(group "VIX Blend++"
                [(weight-equal [(asset "UVXY" nil) (asset "UVXY" nil) (asset "VIXM" nil)])])]
              [(group "VIX Blend+"
                [(weight-equal [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])])])]
          [;; V5.2
           (if
            (> (rsi "IOO" {:window 10}) 80)
            [(group "Scale-In | VIX+ -> VIX++"
              [(if
                (> (rsi "IOO" {:window 10}) 82.5)
                [(group "VIX Blend++"
                  [(weight-equal [(asset "UVXY" nil) (asset "UVXY" nil) (asset "VIXM" nil)])])]
                [(group "VIX Blend+"
                  [(weight-equal [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])])])]
            [;; V5.3
             (if
              (> (rsi "QQQ" {:window 10}) 79)
              [(group "Scale-In | VIX+ -> VIX++"
                [(if
                  (> (rsi "QQQ" {:window 10}) 82.5)
                  [(group "VIX Blend++"
                    [(weight-equal [(asset "UVXY" nil) (asset "UVXY" nil) (asset "VIXM" nil)])])]
                  [(group "VIX Blend+"
                    [(weight-equal [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])])])]
              [;; V5.4
               (if
                (> (rsi "VTV" {:window 10}) 79)
                [(group "Scale-In | VIX -> VIX+"
                  [(if
                    (> (rsi "VTV" {:window 10}) 85)
                    [(group "VIX Blend+"
                      [(weight-equal [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                    [(group "VIX Blend"
                      [(weight-equal [(asset "VIXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])])])]
                [;; V5.5
                 (if
                  (> (rsi "XLP" {:window 10}) 77)
                  [(group "Scale-In | VIX -> VIX+"
                    [(if
                      (> (rsi "XLP" {:window 10}) 85)
                      [(group "VIX Blend+"
                        [(weight-equal
                          [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                      [(group "VIX Blend"
                        [(weight-equal
                          [(asset "VIXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])])])]
                  [;; V5.6
                   (if
                    (> (rsi "XLF" {:window 10}) 81)
                    [(group "Scale-In | VIX -> VIX+"
                      [(if
                        (> (rsi "XLF" {:window 10}) 85)
                        [(group "VIX Blend+"
                          [(weight-equal
                            [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                        [(group "VIX Blend"
                          [(weight-equal
                            [(asset "VIXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])])])]
                    [;; V5.7
                     (if
                      (> (rsi "RETL" {:window 10}) 82)
                      [(group "Scale-In | BTAL -> VIX"
                        [(if
                          (> (rsi "RETL" {:window 10}) 85)
                          [(group "VIX Blend"
                            [(weight-equal
                              [(asset "VIXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                          [(group "BTAL/BIL"
                            [(weight-equal [(asset "BTAL" nil) (asset "BIL" nil)])])])])]
                      [;; V5.8 Overbought: 50% OA + 50% OV
                       (if
                        (> (rsi "SPY" {:window 70}) 63)
                        [(group "Overbought"
                          [(weight-equal
                            [(group "AGG > QQQ"
                              [(if
                                (> (rsi "AGG" {:window 15}) (rsi "QQQ" {:window 15}))
                                [(group "All 3x Tech"
                                  [(weight-equal
                                    [(asset "TQQQ" nil)
                                     (asset "SPXL" nil)
                                     (asset "SOXL" nil)
                                     (asset "FNGU" nil)
                                     (asset "ERX" nil)])])]
                                [(group "GLD/SLV/PDBC"
                                  [(weight-specified 0.5
                                    (asset "GLD" nil)
                                    0.25
                                    (asset "SLV" nil)
                                    0.25
                                    (asset "PDBC" nil))])])])
                             (group "VIX or Commodities"
                              [(if
                                (> (rsi "QQQ" {:window 90}) 60)
                                [(asset "VIXY" nil)]
                                [(if
                                  (> (rsi "QQQ" {:window 14}) 80)
                                  [(asset "VIXY" nil)]
                                  [(if
                                    (> (rsi "QQQ" {:window 5}) 90)
                                    [(asset "VIXY" nil)]
                                    [(if
                                      (> (rsi "QQQ" {:window 3}) 95)
                                      [(asset "VIXY" nil)]
                                      [(group "GLD/SLV/PDBC"
                                        [(weight-specified 0.5
                                          (asset "GLD" nil)
                                          0.25
                                          (asset "SLV" nil)
                                          0.25
                                          (asset "PDBC" nil))])])])])])])])])]
                        [;; V5.9 Holy Grail
                         (group "10. KMLM Switcher | Holy Grail"
                          [;; 9.1
                           (if
                            (> (rsi "VOX" {:window 10}) 79)
                            [(group "VIX Blend"
                              [(weight-equal
                                [(asset "VIXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                            [;; 9.2
                             (if
                              (> (rsi "XLP" {:window 10}) 75)
                              [(group "VIX Blend"
                                [(weight-equal
                                  [(asset "VIXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                              [;; 9.3
                               (if
                                (< (cumulative-return "TQQQ" {:window 6}) -12)
                                [(if
                                  (> (cumulative-return "TQQQ" {:window 1}) 5.5)
                                  [(group "VIX Blend+"
                                    [(weight-equal
                                      [(asset "UVXY" nil) (asset "VXX" nil) (asset "VIXM" nil)])])]
                                  [(group "Pops -> KMLM"
                                    [(if
                                      (< (rsi "TQQQ" {:window 10}) 31)
                                      [(asset "TECL" nil)]
                                      [(if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [(if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [(group "KMLM Switcher + FNGU"
                                            [(if
                                              (>
                                               (rsi "XLK" {:window 10})
                                               (rsi "KMLM" {:window 10}))
                                              [(filter
                                                (rsi {:window 10})
                                                (select-bottom 1)
                                                [(asset "TECL" nil)
                                                 (asset "SVXY" nil)
                                                 (group "50% FNGU / 50% FNGU or Not"
                                                  [(weight-equal
                                                    [(asset "FNGU" nil)
                                                     (group "FNGU or Not"
                                                      [(filter
                                                        (moving-average-return {:window 20})
                                                        (select-top 1)
                                                        [(asset "FNGU" nil)
                                                         (asset "SPXL" nil)
                                                         (asset "XLE" nil)
                                                         (asset "XLK" nil)
                                                         (asset "AGG" nil)])])])])])]
                                              [(filter
                                                (stdev-return {:window 6})
                                                (select-bottom 3)
                                                [(asset "SVXY" nil)
                                                 (asset "VIXM" nil)
                                                 (asset "FTLS" nil)
                                                 (asset "KMLM" nil)
                                                 (asset "UUP" nil)])])])])])])])])]
                                [;; 9.4
                                 (if
                                  (>
                                   (current-price "SPY")
                                   (moving-average-price "SPY" {:window 200}))
                                  [(if
                                    (<
                                     (moving-average-price "SPY" {:window 3})
                                     (moving-average-price "SPY" {:window 200}))
                                    [(group "Bull Cross "
                                      [(filter
                                        (rsi {:window 10})
                                        (select-top 2)
                                        [(asset "TQQQ" nil)
                                         (asset "SPXL" nil)
                                         (asset "TMF" nil)])])]
                                    [(group "09. Holy Grail | KMLM"
                                      [;; HG.1
                                       (if
                                        (>
                                         (current-price "SPY")
                                         (moving-average-price "SPY" {:window 200}))
                                        [(group "KMLM Switcher + FNGU"
                                          [(if
                                            (>
                                             (rsi "XLK" {:window 10})
                                             (rsi "KMLM" {:window 10}))
                                            [(filter
                                              (rsi {:window 10})
                                              (select-bottom 1)
                                              [(asset "TECL" nil)
                                               (asset "SVXY" nil)
                                               (group "50% FNGU / 50% FNGU or Not"
                                                [(weight-equal
                                                  [(asset "FNGU" nil)
                                                   (group "FNGU or Not"
                                                    [(filter
                                                      (moving-average-return {:window 20})
                                                      (select-top 1)
                                                      [(asset "FNGU" nil)
                                                       (asset "SPXL" nil)
                                                       (asset "XLE" nil)
                                                       (asset "XLK" nil)
                                                       (asset "AGG" nil)])])])])])]
                                            [(filter
                                              (stdev-return {:window 6})
                                              (select-bottom 3)
                                              [(asset "SVXY" nil)
                                               (asset "VIXM" nil)
                                               (asset "FTLS" nil)
                                               (asset "KMLM" nil)
                                               (asset "UUP" nil)])])])]
                                        [;; HG.2
                                         (if
                                          (< (rsi "QQQ" {:window 10}) 31)
                                          [(asset "TECL" nil)]
                                          [;; HG.3
                                           (if
                                            (< (rsi "SPY" {:window 10}) 30)
                                            [(asset "UPRO" nil)]
                                            [;; HG.4
                                             (if
                                              (< (cumulative-return "QQQ" {:window 60}) -12)
                                              [(asset "BIL" nil)]
                                              [;; HG.5
                                               (if
                                                (>
                                                 (current-price "TQQQ")
                                                 (moving-average-price "TQQQ" {:window 20}))
                                                [(if
                                                  (< (rsi "PSQ" {:window 10}) 32.5)
                                                  [(asset "PSQ" nil)]
                                                  [(group "KMLM Switcher + FNGU"
                                                    [(if
                                                      (>
                                                       (rsi "XLK" {:window 10})
                                                       (rsi "KMLM" {:window 10}))
                                                      [(filter
                                                        (rsi {:window 10})
                                                        (select-bottom 1)
                                                        [(asset "TECL" nil)
                                                         (asset "SVXY" nil)
                                                         (group "50% FNGU / 50% FNGU or Not"
                                                          [(weight-equal
                                                            [(asset "FNGU" nil)
                                                             (group "FNGU or Not"
                                                              [(filter
                                                                (moving-average-return {:window 20})
                                                                (select-top 1)
                                                                [(asset "FNGU" nil)
                                                                 (asset "SPXL" nil)
                                                                 (asset "XLE" nil)
                                                                 (asset "XLK" nil)
                                                                 (asset "AGG" nil)])])])])])]
                                                      [(filter
                                                        (stdev-return {:window 6})
                                                        (select-bottom 3)
                                                        [(asset "SVXY" nil)
                                                         (asset "VIXM" nil)
                                                         (asset "FTLS" nil)
                                                         (asset "KMLM" nil)
                                                         (asset "UUP" nil)])])])])]
                                                [;; HG.6
                                                 (group "10/20"
                                                  [(if
                                                    (>
                                                     (rsi "IEF" {:window 10})
                                                     (rsi "PSQ" {:window 20}))
                                                    [(asset "PSQ" nil)]
                                                    [(asset "QID" nil)])])])])])])])])])]
                                  [;; 9.5
                                   (if
                                    (>
                                     (moving-average-price "SPY" {:window 3})
                                     (moving-average-price "SPY" {:window 200}))
                                    [(group "Bear Cross"
                                      [(filter
                                        (rsi {:window 10})
                                        (select-top 2)
                                        [(asset "SQQQ" nil)
                                         (asset "SPXU" nil)
                                         (asset "TMF" nil)
                                         (asset "TMV" nil)])])]
                                    [;; 9.6
                                     (group "09. Holy Grail | KMLM"
                                      [;; HG.1
                                       (if
                                        (>
                                         (current-price "SPY")
                                         (moving-average-price "SPY" {:window 200}))
                                        [(group "KMLM Switcher + FNGU"
                                          [(if
                                            (>
                                             (rsi "XLK" {:window 10})
                                             (rsi "KMLM" {:window 10}))
                                            [(filter
                                              (rsi {:window 10})
                                              (select-bottom 1)
                                              [(asset "TECL" nil)
                                               (asset "SVXY" nil)
                                               (group "50% FNGU / 50% FNGU or Not"
                                                [(weight-equal
                                                  [(asset "FNGU" nil)
                                                   (group "FNGU or Not"
                                                    [(filter
                                                      (moving-average-return {:window 20})
                                                      (select-top 1)
                                                      [(asset "FNGU" nil)
                                                       (asset "SPXL" nil)
                                                       (asset "XLE" nil)
                                                       (asset "XLK" nil)
                                                       (asset "AGG" nil)])])])])])]
                                            [(filter
                                              (stdev-return {:window 6})
                                              (select-bottom 3)
                                              [(asset "SVXY" nil)
                                               (asset "VIXM" nil)
                                               (asset "FTLS" nil)
                                               (asset "KMLM" nil)
                                               (asset "UUP" nil)])])])]
                                        [;; HG.2
                                         (if
                                          (< (rsi "QQQ" {:window 10}) 31)
                                          [(asset "TECL" nil)]
                                          [;; HG.3
                                           (if
                                            (< (rsi "SPY" {:window 10}) 30)
                                            [(asset "UPRO" nil)]
                                            [;; HG.4
                                             (if
                                              (< (cumulative-return "QQQ" {:window 60}) -12)
                                              [(asset "BIL" nil)]
                                              [;; HG.5
                                               (if
                                                (>
                                                 (current-price "TQQQ")
                                                 (moving-average-price "TQQQ" {:window 20}))
                                                [(if
                                                  (< (rsi "PSQ" {:window 10}) 32.5)
                                                  [(asset "PSQ" nil)]
                                                  [(group "KMLM Switcher + FNGU"
                                                    [(if
                                                      (>
                                                       (rsi "XLK" {:window 10})
                                                       (rsi "KMLM" {:window 10}))
                                                      [(filter
                                                        (rsi {:window 10})
                                                        (select-bottom 1)
                                                        [(asset "TECL" nil)
                                                         (asset "SVXY" nil)
                                                         (group "50% FNGU / 50% FNGU or Not"
                                                          [(weight-equal
                                                            [(asset "FNGU" nil)
                                                             (group "FNGU or Not"
                                                              [(filter
                                                                (moving-average-return {:window 20})
                                                                (select-top 1)
                                                                [(asset "FNGU" nil)
                                                                 (asset "SPXL" nil)
                                                                 (asset "XLE" nil)
                                                                 (asset "XLK" nil)
                                                                 (asset "AGG" nil)])])])])])]
                                                      [(filter
                                                        (stdev-return {:window 6})
                                                        (select-bottom 3)
                                                        [(asset "SVXY" nil)
                                                         (asset "VIXM" nil)
                                                         (asset "FTLS" nil)
                                                         (asset "KMLM" nil)
                                                         (asset "UUP" nil)])])])])]
                                                [;; HG.6
                                                 (group "10/20"
                                                  [(if
                                                    (>
                                                     (rsi "IEF" {:window 10})
                                                     (rsi "PSQ" {:window 20}))
                                                    [(asset "PSQ" nil)]
                                                    [(asset "QID" nil)])])])])])])])])])])])])])])])])])])])])])])])])
     ;; V6
     (group "410/38 (11) - MonkeyBusiness Simons variant"
      [(group "KMLM switcher (single pops)| BT 4/13/22 = A.R. 466% / D.D. 22%"
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Single Popped KMLM"
                                [;; SPOP.UVXY
                                 (if
                                  (> (rsi "UVXY" {:window 21}) 65)
                                  [(group "BSC"
                                    [(if
                                      (> (rsi "SPY" {:window 21}) 30)
                                      [(asset "VIXM" nil)]
                                      [(asset "SPXL" nil)])])]
                                  [(group "Combined Pop Bot"
                                    [;; POP.1
                                     (if
                                      (< (rsi "TQQQ" {:window 10}) 30)
                                      [(asset "TECL" nil)]
                                      [;; POP.2
                                       (if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [;; POP.3
                                         (if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [;; POP.4 -> SW
                                           (group "Copypasta YOLO GainZs Here"
                                            [(group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                              [(if
                                                (>
                                                 (rsi "XLK" {:window 10})
                                                 (rsi "KMLM" {:window 10}))
                                                [(filter
                                                  (rsi {:window 10})
                                                  (select-bottom 1)
                                                  [(asset "FNGU" nil)])]
                                                [(group "Long/Short Rotator with FTLS KMLM SSO UUP | BT 12/10/20 | 15.1/3.5  "
                                                  [(filter
                                                    (stdev-return {:window 6})
                                                    (select-bottom 1)
                                                    [(asset "UUP" nil)
                                                     (asset "FTLS" nil)
                                                     (asset "KMLM" nil)])])])])])])])])])])])])])])])])])])])])])])])])
     ;; V7
     (group "Nerfed 2900/8 (373) - Nova - Short BT (remove for longer backtest)"
      [(group "KMLM switcher (single pops)| BT 4/13/22 = A.R. 466% / D.D. 22%"
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Single Popped KMLM"
                                [;; SPOP.UVIX
                                 (if
                                  (> (rsi "UVIX" {:window 21}) 65)
                                  [(group "BSC"
                                    [(if
                                      (> (rsi "SPY" {:window 21}) 30)
                                      [(asset "VIXM" nil)]
                                      [(asset "SPXL" nil)])])]
                                  [(group "Combined Pop Bot"
                                    [;; POP.1
                                     (if
                                      (< (rsi "TQQQ" {:window 10}) 30)
                                      [(asset "TECL" nil)]
                                      [;; POP.2
                                       (if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [;; POP.3
                                         (if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [;; POP.4 -> SW
                                           (group "Copypasta YOLO GainZs Here"
                                            [(group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                              [(if
                                                (>
                                                 (rsi "XLK" {:window 10})
                                                 (rsi "KMLM" {:window 10}))
                                                [(filter
                                                  (rsi {:window 11})
                                                  (select-top 1)
                                                  [(asset "FNGO" nil)
                                                   (asset "TSLA" nil)
                                                   (asset "MSFT" nil)
                                                   (asset "AAPL" nil)
                                                   (asset "NVDA" nil)
                                                   (asset "GOOGL" nil)
                                                   (asset "AMZN" nil)])]
                                                [(group "Long/Short Rotator with FTLS KMLM SSO UUP | BT 12/10/20 | 15.1/3.5  "
                                                  [(filter
                                                    (stdev-return {:window 6})
                                                    (select-bottom 1)
                                                    [(asset "UUP" nil)
                                                     (asset "FTLS" nil)
                                                     (asset "KMLM" nil)])])])])])])])])])])])])])])])])])])])])])])])])
     ;; V8
     (group "830/21 (39) MonkeyBusiness Simons variant V2"
      [(group "KMLM switcher | Simon Shorts Ed. + MbM | (single pops)| BT 4/13/22 "
        [;; OB.1
         (if
          (> (rsi "QQQE" {:window 10}) 79)
          [(asset "UVXY" nil)]
          [;; OB.2
           (if
            (> (rsi "VTV" {:window 10}) 79)
            [(asset "UVXY" nil)]
            [;; OB.3
             (if
              (> (rsi "VOX" {:window 10}) 79)
              [(asset "UVXY" nil)]
              [;; OB.4
               (if
                (> (rsi "TECL" {:window 10}) 79)
                [(asset "UVXY" nil)]
                [;; OB.5
                 (if
                  (> (rsi "VOOG" {:window 10}) 79)
                  [(asset "UVXY" nil)]
                  [;; OB.6
                   (if
                    (> (rsi "VOOV" {:window 10}) 79)
                    [(asset "UVXY" nil)]
                    [;; OB.7
                     (if
                      (> (rsi "XLP" {:window 10}) 75)
                      [(asset "UVXY" nil)]
                      [;; OB.8
                       (if
                        (> (rsi "TQQQ" {:window 10}) 79)
                        [(asset "UVXY" nil)]
                        [;; OB.9
                         (if
                          (> (rsi "XLY" {:window 10}) 80)
                          [(asset "UVXY" nil)]
                          [;; OB.10
                           (if
                            (> (rsi "FAS" {:window 10}) 80)
                            [(asset "UVXY" nil)]
                            [;; OB.11
                             (if
                              (> (rsi "SPY" {:window 10}) 80)
                              [(asset "UVXY" nil)]
                              [;; OB.12
                               (group "Single Popped KMLM"
                                [;; SPOP.UVXY
                                 (if
                                  (> (rsi "UVXY" {:window 21}) 65)
                                  [(group "BSC"
                                    [(if
                                      (> (rsi "SPY" {:window 21}) 30)
                                      [(asset "VIXM" nil)]
                                      [(asset "SPXL" nil)])])]
                                  [(group "Combined Pop Bot"
                                    [;; POP.1
                                     (if
                                      (< (rsi "TQQQ" {:window 10}) 30)
                                      [(asset "TECL" nil)]
                                      [;; POP.2
                                       (if
                                        (< (rsi "SOXL" {:window 10}) 30)
                                        [(asset "SOXL" nil)]
                                        [;; POP.3
                                         (if
                                          (< (rsi "SPXL" {:window 10}) 30)
                                          [(asset "SPXL" nil)]
                                          [;; POP.4 -> SW
                                           (group "Copypasta YOLO GainZs Here"
                                            [(group "KMLM switcher: TECL, SVIX, or L/S Rotator | BT 4/13/22 = AR 164% / DD 22.2%"
                                              [(if
                                                (>
                                                 (rsi "XLK" {:window 10})
                                                 (rsi "KMLM" {:window 10}))
                                                [(filter
                                                  (rsi {:window 10})
                                                  (select-top 1)
                                                  [(asset "TECL" nil)
                                                   (asset "SOXL" nil)
                                                   (asset "SVIX" nil)])]
                                                [(group "Bond Check --> Shorts, Bonds, KMLM, SPLV"
                                                  [(if
                                                    (>
                                                     (moving-average-return "BND" {:window 20})
                                                     0)
                                                    [(filter
                                                      (rsi {:window 10})
                                                      (select-bottom 1)
                                                      [(asset "KMLM" nil) (asset "SPLV" nil)])]
                                                    [(filter
                                                      (rsi {:window 10})
                                                      (select-top 1)
                                                      [(asset "TLT" nil)
                                                       (asset "LABD" nil)
                                                       (asset "TZA" nil)])])])])])])])])])])])])])])])])])])])])])])])])])])]))
